import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { childNpmEnvironment, run } from './child-process';

/**
 * The real clients that need Node ≥ 22 (the workspace runs on Node 20): the official MCP
 * conformance suite and MCP Inspector v2, run by a Node 22 that comes from the npm registry
 * itself (the platform package of the `node` package: a binary shipped inside a registry
 * package). Pinned exactly; bump them together and re-run test/clients.
 */
export const NODE22_TOOL_VERSIONS = {
  node: '22.23.3',
  conformance: '0.2.0-alpha.12',
  inspector: '2.12.0',
} as const;

export interface Node22Tools {
  /** The Node 22 binary. */
  node: string;
  /** Folder of that binary: put it first on PATH so the tools' own child processes use it. */
  binDir: string;
  /** `conformance` CLI entry (run as `node <it> …`). */
  conformance: string;
  /** `mcp-inspector` launcher entry (run as `node <it> --cli …`). */
  inspector: string;
}

const WORKSPACE = resolve(__dirname, '../../..');
const CACHE = join(WORKSPACE, 'node_modules/.cache/mcp-auth-clients');

/**
 * Installs the pinned tools once into node_modules/.cache/mcp-auth-clients/tools-<hash>/
 * (a fresh clone or CI installs them on first use; later runs reuse them), and checks that
 * the Node binary runs. Fails loudly, with npm's output, when the registry cannot be reached:
 * these proofs are never skipped.
 */
export async function ensureNode22Tools(): Promise<Node22Tools> {
  const nodePackage = `node-${process.platform}-${process.arch}`;
  const dependencies = {
    [nodePackage]: NODE22_TOOL_VERSIONS.node,
    '@modelcontextprotocol/conformance': NODE22_TOOL_VERSIONS.conformance,
    '@modelcontextprotocol/inspector': NODE22_TOOL_VERSIONS.inspector,
  };
  const key = createHash('sha256').update(JSON.stringify(dependencies)).digest('hex').slice(0, 12);
  const dir = join(CACHE, `tools-${key}`);
  const tools: Node22Tools = {
    node: join(dir, 'node_modules', nodePackage, 'bin', 'node'),
    binDir: join(dir, 'node_modules', nodePackage, 'bin'),
    conformance: join(dir, 'node_modules/@modelcontextprotocol/conformance/dist/index.js'),
    inspector: join(
      dir,
      'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js',
    ),
  };
  const marker = join(dir, 'installed.json');
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === JSON.stringify(dependencies)) {
    return tools;
  }

  // Installed beside the final folder and renamed into place, so an interrupted install
  // never looks complete.
  await mkdir(CACHE, { recursive: true });
  const staging = await mkdtemp(join(CACHE, `tools-${key}.installing-`));
  try {
    await writeFile(
      join(staging, 'package.json'),
      JSON.stringify({ name: 'mcp-auth-client-tools', private: true, dependencies }, null, 2),
    );
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', staging],
      { cwd: staging, env: childNpmEnvironment(), timeoutMs: 300_000 },
    );
    const stagedNode = join(staging, 'node_modules', nodePackage, 'bin', 'node');
    const { stdout } = await run(stagedNode, ['--version'], { timeoutMs: 30_000 });
    if (stdout.trim() !== `v${NODE22_TOOL_VERSIONS.node}`) {
      throw new Error(`the installed Node reports ${stdout.trim()}`);
    }
    await writeFile(join(staging, 'installed.json'), JSON.stringify(dependencies));
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(
      `Could not install Node ${NODE22_TOOL_VERSIONS.node}, @modelcontextprotocol/conformance@` +
        `${NODE22_TOOL_VERSIONS.conformance} and @modelcontextprotocol/inspector@` +
        `${NODE22_TOOL_VERSIONS.inspector} from the npm registry:\n${(error as Error).message}`,
      { cause: error },
    );
  }
  return tools;
}

/** Environment for a tool run under Node 22: its binary first on PATH, HOME kept apart. */
export function node22Environment(
  tools: Node22Tools,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...childNpmEnvironment(),
    PATH: `${tools.binDir}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
    ...extra,
  };
}
