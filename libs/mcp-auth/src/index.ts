// Module
export * from './mcp-auth.module';
export * from './mcp-auth.module-definition';
export * from './mcp-auth-options.interface';
export * from './mcp-auth.config';

// Authorization server
export * from './authorization-server/authorization';

// Resource server
export * from './resource-server';

// Abuse limits
export * from './abuse';

// Storage contracts, default Postgres implementation, migrations
export * from './storage';
export * from './database/data-source.factory';

// OAuth building blocks and tokens
export * from './oauth';
export * from './tokens';
