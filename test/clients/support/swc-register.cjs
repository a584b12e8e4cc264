/**
 * `node -r ./swc-register.cjs apps/sample-mcp-server/src/main.ts`: runs the workspace's
 * TypeScript as it is, compiled in memory by @swc/core, so a test can spawn the real server
 * process (signals, exit code) without `nest build` writing into dist/. Maps `@app/mcp-auth`
 * like tsconfig.json does. Nest 12 and jose are ESM: Node ≥ 20.19 require()s them natively.
 */
'use strict';
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '../../..');
const library = path.join(root, 'libs/mcp-auth/src');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === '@app/mcp-auth') request = library;
  else if (request.startsWith('@app/mcp-auth/')) {
    request = path.join(library, request.slice('@app/mcp-auth/'.length));
  }
  return resolveFilename.call(this, request, parent, ...rest);
};

Module._extensions['.ts'] = function (module, filename) {
  const source = require('node:fs').readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
