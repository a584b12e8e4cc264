export * from './authorization-server-metadata';
export * from './authorization-server-metadata.controller';
export * from './jwks.controller';
