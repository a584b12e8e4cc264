export * from './authorization-server-metadata';
export * from './authorization-server-metadata.controller';
export * from './cors-headers';
export * from './jwks.controller';
export * from './method-not-allowed';
