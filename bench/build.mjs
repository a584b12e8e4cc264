// Compiles the benchmark, the sample app and the library to dist/bench with swc (the same
// transform the test suite uses), so `npm run bench` needs no tsc emit and no Nest CLI.
// `@app/mcp-auth` resolves through a tiny package under dist/bench/node_modules.
import { transformFile } from '@swc/core';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { swcOptions } from '../apps/sample-mcp-server/swc-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bench');
const sources = ['apps/sample-mcp-server/src', 'libs/mcp-auth/src', 'bench'];
const skip = /\.(spec|e2e-spec|spec-helper)\.ts$|\.d\.ts$/;

/**
 * @param {string} dir
 * @returns {AsyncGenerator<string>}
 */
async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'results' || entry.name === 'node_modules') continue;
      yield* walk(path);
    } else if (entry.name.endsWith('.ts') && !skip.test(entry.name)) {
      yield path;
    }
  }
}

const started = Date.now();
await rm(out, { recursive: true, force: true });
let count = 0;
const jobs = [];
for (const source of sources) {
  for await (const file of walk(join(root, source))) {
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    jobs.push(
      (async () => {
        const { code, map } = await transformFile(file, { ...swcOptions, filename: file });
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
        if (map) await writeFile(`${target}.map`, map);
        count += 1;
      })(),
    );
  }
}
await Promise.all(jobs);

const shim = join(out, 'node_modules', '@app', 'mcp-auth');
await mkdir(shim, { recursive: true });
await writeFile(
  join(shim, 'package.json'),
  JSON.stringify({ name: '@app/mcp-auth', main: '../../../libs/mcp-auth/src/index.js' }),
);
process.stdout.write(
  `bench: compiled ${count} files to dist/bench in ${Date.now() - started} ms\n`,
);
