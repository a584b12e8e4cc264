/** Token of the host DataSource the stores run on, for one module instance. */
export const MCP_AUTH_DATA_SOURCE = Symbol('McpAuth:DataSource');

/** Resolved once the schema exists: everything that touches tables at boot depends on it. */
export const MCP_AUTH_SCHEMA_READY = Symbol('McpAuth:SchemaReady');
