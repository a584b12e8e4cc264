// @ts-check
import eslint from '@eslint/js';
import eslintPluginPrettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SRC = 'libs/mcp-auth/src';
const OUTSIDE_SRC =
  'Library code must not import from outside libs/mcp-auth/src (test/, bench/, apps/).';
const PUBLIC_ENTRIES =
  "Import the library only through its public entries, '@app/mcp-auth' (libs/mcp-auth/src/index.ts) or '@app/mcp-auth/resource-server' (libs/mcp-auth/src/resource-server/index.ts); only unit specs beside their source may import internals.";

/**
 * Layering of the library, as `no-restricted-imports` blocks. Imports are relative, so each
 * block matches files at one depth under its folder: from `storage/typeorm/stores/x.ts` (depth
 * 3), an import starting with three `../` reaches `src/`, and four or more leave the library
 * (test/, bench/, apps/). Specs are exempt: they may use test/ helpers.
 *
 * - all library code: nothing outside `src/`;
 * - `oauth/`: nothing from the rest of `src/`;
 * - `storage/`: only `oauth/`;
 * - `tokens/`: not `authorization-server/`, `resource-server/`, `abuse/`, `lifecycle/`, nor
 *   the module root (the files of `src/` itself);
 * - `resource-server/`: not `authorization-server/`, `abuse/`, `lifecycle/`, `database/`, the
 *   module root, and only the storage contracts (not `storage/typeorm/`): it is published
 *   alone as the `resource-server` entry;
 * - `http/`: only `oauth/`;
 * - `outbound/`: only `oauth/`;
 * - `telemetry/`: only `oauth/` (the authorization server, resource server and lifecycle use it);
 * - `abuse/`: not `authorization-server/` or `resource-server/`;
 * - `authorization-server/`: not `federation/` or `administration/`, which build on it;
 * - `administration/`: not `lifecycle/`, `database/`, `abuse/` or `storage/typeorm/` (it uses
 *   the services and store contracts); `tokens/` does not import it either.
 */
function layer(folder, { allowed, forbidden, root, message }) {
  const blocks = [];
  for (let depth = 1; depth <= 5; depth += 1) {
    const up = `(\\.\\./){${depth}}`;
    const patterns = [
      {
        regex: `^${up}\\.\\./`,
        message: OUTSIDE_SRC,
      },
    ];
    if (allowed) {
      const except = allowed.length ? `(?!(${allowed.join('|')})/)` : '';
      patterns.push({ regex: `^${up}${except}(?!\\.\\./)`, message });
    }
    if (forbidden) {
      patterns.push({ regex: `^${up}(${forbidden.join('|')})(/|$)`, message });
    }
    if (root === false) {
      // A file of src/ itself (the module, its options and wiring): no folder in the path.
      patterns.push({ regex: `^${up}[^./][^/]*$`, message });
    }
    blocks.push({
      files: [`${SRC}/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
      ignores: ['**/*.spec.ts'],
      rules: { 'no-restricted-imports': ['error', { patterns }] },
    });
  }
  return blocks;
}

export default tseslint.config(
  { ignores: ['eslint.config.mjs', '**/dist/**', 'node_modules/**', 'coverage/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  eslintPluginPrettierRecommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
      sourceType: 'commonjs',
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The root files (depth 0) and every folder: nothing from test/, bench/ or apps/.
  {
    files: [`${SRC}/*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./',
              message: OUTSIDE_SRC,
            },
          ],
        },
      ],
    },
  },
  ...layer('*', {}),
  // Later blocks replace the rule for their folder, so each repeats the outside-src pattern.
  ...layer('oauth', {
    allowed: [],
    message: 'oauth/ is the bottom layer: it imports nothing else from the library.',
  }),
  ...layer('storage', {
    allowed: ['oauth'],
    message:
      'storage/ imports only oauth/: not the module root, tokens/, authorization-server/ or resource-server/.',
  }),
  ...layer('tokens', {
    forbidden: ['authorization-server', 'resource-server', 'abuse', 'lifecycle', 'administration'],
    root: false,
    message:
      'tokens/ must not import authorization-server/, resource-server/, abuse/, lifecycle/ or the module root.',
  }),
  ...layer('resource-server', {
    forbidden: [
      'authorization-server',
      'federation',
      'storage/typeorm',
      'abuse',
      'lifecycle',
      'database',
    ],
    root: false,
    message:
      'resource-server/ stands alone (the resource-server entry): not authorization-server/, abuse/, lifecycle/, database/, storage/typeorm/ or the module root.',
  }),
  ...layer('http', {
    allowed: ['oauth'],
    message: 'http/ (shared pages, CORS, 405) imports only oauth/.',
  }),
  ...layer('telemetry', {
    allowed: ['oauth'],
    message:
      'telemetry/ (OpenTelemetry instruments, names, store spans) imports only oauth/: every layer above reports through it.',
  }),
  ...layer('outbound', {
    allowed: ['oauth'],
    message:
      'outbound/ (the safe fetcher for client metadata documents and jwks_uri) imports only oauth/.',
  }),
  ...layer('authorization-server', {
    forbidden: ['federation', 'administration'],
    message:
      'authorization-server/ must not import federation/ or administration/: federation builds on the authorization server.',
  }),
  ...layer('connected-apps', {
    forbidden: ['federation', 'resource-server', 'lifecycle', 'database', 'storage/typeorm'],
    message:
      'connected-apps/ builds on the authorization server, the store contracts and tokens/: not federation/, resource-server/, lifecycle/, database/ or storage/typeorm/.',
  }),
  ...layer('administration', {
    forbidden: ['lifecycle', 'database', 'abuse', 'storage/typeorm'],
    message:
      'administration/ uses the services and store contracts: not lifecycle/, database/, abuse/ or storage/typeorm/.',
  }),
  ...layer('abuse', {
    forbidden: ['authorization-server', 'resource-server'],
    message:
      'abuse/ must not import authorization-server/ or resource-server/ (shared HTTP pieces live in http/).',
  }),
  // Tests and the sample use the library as a host does: only through its two public entries.
  // Unit specs beside their source (libs/**/*.spec.ts) may import internals. bench/ is exempt
  // for now: its in-process scenarios measure internal units. No other block matches these
  // files, so this one replaces no layering rule.
  {
    files: ['test/**/*.ts', 'apps/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: 'libs/mcp-auth/src',
              message: PUBLIC_ENTRIES,
            },
            {
              regex: '^@app/mcp-auth/(?!resource-server$)',
              message: PUBLIC_ENTRIES,
            },
          ],
        },
      ],
    },
  },
  {
    // Tests assert on parsed JSON bodies and mocks; unsafe-member access there is noise.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
