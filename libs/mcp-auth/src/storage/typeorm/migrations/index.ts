import { McpAuthInitialSchema1763900000000 } from './1763900000000-initial-schema';

export { McpAuthInitialSchema1763900000000 };

/**
 * The module's migrations in order. Listed as classes, not a glob, so the compiler, swc and
 * jest all see the same list, and a host can spread them into its own DataSource.
 */
export const MCP_AUTH_MIGRATIONS = [McpAuthInitialSchema1763900000000] as const;
