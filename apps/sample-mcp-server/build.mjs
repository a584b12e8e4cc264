// `npm start`'s build: compiles the sample app and the library with swc into
// dist/sample-mcp-server, in the layout `nest build sample-mcp-server` (tsc) writes, so the entry
// point stays dist/sample-mcp-server/apps/sample-mcp-server/src/main.js. Incremental: a file is
// compiled again only when its content changed since the last run, so a restart with no change
// costs no build time. No type checking here: `npm test` and CI run `tsc --noEmit`.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { swcOptions } from './swc-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'dist', 'sample-mcp-server');
const manifestPath = join(outDir, '.incremental-build.json');
const sources = ['apps/sample-mcp-server/src', 'libs/mcp-auth/src'];
// What tsconfig.build.json keeps out of the build.
const skip = /\.(spec|e2e-spec|spec-helper)\.ts$|\.d\.ts$/;

// tsconfig.json's `paths` too: swc rewrites `@app/mcp-auth` to a relative path, which the
// mirrored layout keeps valid.
const options = {
  ...swcOptions,
  jsc: {
    ...swcOptions.jsc,
    baseUrl: root,
    paths: {
      '@app/mcp-auth': ['./libs/mcp-auth/src'],
      '@app/mcp-auth/*': ['./libs/mcp-auth/src/*'],
    },
  },
};

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith('.ts') && !skip.test(entry.name)) yield path;
  }
}

async function readManifest(key) {
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    return manifest.key === key ? manifest.files : undefined;
  } catch {
    return undefined;
  }
}

const started = performance.now();
const require = createRequire(import.meta.url);
const swcVersion = JSON.parse(
  await readFile(require.resolve('@swc/core/package.json'), 'utf8'),
).version;
// Another compiler version, other options or another version of this script: start over.
const key = sha256(
  JSON.stringify([swcVersion, options]) + (await readFile(fileURLToPath(import.meta.url))),
);

const files = {};
for (const source of sources) {
  for await (const file of walk(join(root, source))) {
    files[relative(root, file)] = await readFile(file, 'utf8');
  }
}

const previous = await readManifest(key);
// Without a manifest of ours the folder holds another build (e.g. tsc's): replace it whole.
if (!previous) await rm(outDir, { recursive: true, force: true });
const hashes = {};
const changed = [];
for (const [file, code] of Object.entries(files)) {
  hashes[file] = sha256(code);
  if (previous?.[file] !== hashes[file]) changed.push(file);
}
const outputOf = (file) => join(outDir, file.replace(/\.ts$/, '.js'));
const removed = Object.keys(previous ?? {}).filter((file) => !(file in files));
for (const file of removed) {
  await rm(outputOf(file), { force: true });
  await rm(`${outputOf(file)}.map`, { force: true });
}

if (changed.length) {
  // Loaded only when there is something to compile: a restart with no change skips it.
  const { transform } = await import('@swc/core');
  await Promise.all(
    changed.map(async (file) => {
      const target = outputOf(file);
      const { code, map } = await transform(files[file], {
        ...options,
        filename: join(root, file),
      });
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
      if (map) await writeFile(`${target}.map`, map);
    }),
  );
}
if (changed.length || removed.length || !previous) {
  await mkdir(outDir, { recursive: true });
  // Written last and renamed into place: an interrupted build recompiles what it had not noted.
  await writeFile(`${manifestPath}.tmp`, JSON.stringify({ key, files: hashes }));
  await rename(`${manifestPath}.tmp`, manifestPath);
}

const ms = Math.round(performance.now() - started);
const total = Object.keys(files).length;
const gone = removed.length ? ` (${removed.length} removed)` : '';
process.stdout.write(
  changed.length || removed.length
    ? `build: compiled ${changed.length} of ${total} files${gone} into dist/sample-mcp-server in ${ms} ms\n`
    : `build: dist/sample-mcp-server is up to date (${total} files checked in ${ms} ms)\n`,
);
