/** Metadata key of `@RequiredScopes()`. */
export const REQUIRED_SCOPES_METADATA = 'mcp-auth:required-scopes';

/** Metadata key of `@Public()`. */
export const PUBLIC_ROUTE_METADATA = 'mcp-auth:public';

/** Metadata key of `@McpResource()`. */
export const MCP_RESOURCE_METADATA = 'mcp-auth:resource';

/** RFC 9728 §3: the well-known suffix, inserted between the host and the resource path. */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** Default seconds of clock skew tolerated on `exp` and `nbf`. */
export const DEFAULT_CLOCK_TOLERANCE = 5;

/** Metadata key of `@RequiresUser()`. */
export const REQUIRES_USER_METADATA = 'mcp-auth:requires-user';

/** Metadata key of `@RequiredToolScopes()`. */
export const REQUIRED_TOOL_SCOPES_METADATA = 'mcp-auth:required-tool-scopes';
