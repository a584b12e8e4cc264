// @swc/jest instead of ts-jest: Nest 12 and jose are ESM-only, and jest's CommonJS
// runtime on Node 20 can only load them once swc has rewritten them to CommonJS.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs', ignoreDynamic: true },
};

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|jose)/)'],
  moduleNameMapper: {
    '^@app/mcp-auth$': '<rootDir>/libs/mcp-auth/src',
    '^@app/mcp-auth/(.*)$': '<rootDir>/libs/mcp-auth/src/$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/libs/mcp-auth/dist'],
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/skipped-tests.reporter.cjs'],
};
