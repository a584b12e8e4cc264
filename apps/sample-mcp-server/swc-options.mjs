// How the workspace's TypeScript is compiled outside tsc: the transform the test suite runs
// (jest.config.js), with class names kept for Nest and source maps. Shared by `npm start`'s
// build (build.mjs beside this file) and the benchmark's (bench/build.mjs).
export const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  // Dynamic import() stays native: PGlite is ESM and is loaded that way.
  module: { type: 'commonjs', ignoreDynamic: true },
  sourceMaps: true,
};
