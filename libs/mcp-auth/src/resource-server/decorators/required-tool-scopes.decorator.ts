import { SetMetadata } from '@nestjs/common';
import { isValidScopeToken } from '../../oauth/scope';
import { REQUIRED_TOOL_SCOPES_METADATA } from '../resource-server.constants';

/**
 * MCP tool name → the scope or scopes a `tools/call` of that tool needs, beyond the route's
 * own (`@RequiredScopes`).
 * @publicApi
 */
export type ToolScopeDeclaration = Readonly<Record<string, string | readonly string[]>>;

/** What the decorator stores: each tool's scopes as a list, validated, frozen. */
export type NormalizedToolScopes = Readonly<Record<string, readonly string[]>>;

/**
 * Scopes per MCP tool, checked by `BearerGuard` against the JSON-RPC body before the handler
 * (and so the MCP transport) runs. A `tools/call` of a listed tool needs the route's scopes
 * plus the tool's, scope hierarchy included; a batch needs the union over its calls. A token
 * short of them gets the 403 `insufficient_scope` challenge naming every scope the request
 * needs (RS-9), which clients answer by re-authorizing (step-up). Other methods, and tools not
 * listed, need the route's scopes only. On a class and a method both apply (a tool listed in
 * both needs both lists).
 *
 * @example
 * @Controller('mcp') @UseGuards(BearerGuard) @RequiredScopes('mcp:tools')
 * @RequiredToolScopes({ 'delete-file': 'files:write', 'server-stats': ['mcp:admin'] })
 * class McpController { @Post() handle() {} }
 * @publicApi
 */
export const RequiredToolScopes = (
  scopesByTool: ToolScopeDeclaration,
): MethodDecorator & ClassDecorator => {
  if (typeof scopesByTool !== 'object' || scopesByTool === null || Array.isArray(scopesByTool)) {
    throw new Error('@RequiredToolScopes() takes an object: tool name → scope or scopes');
  }
  const normalized: Record<string, readonly string[]> = Object.create(null) as Record<
    string,
    readonly string[]
  >;
  for (const [tool, value] of Object.entries(scopesByTool)) {
    if (tool === '') throw new Error('@RequiredToolScopes(): a tool name cannot be empty');
    const scopes: readonly unknown[] = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(scopes)) {
      throw new Error(`@RequiredToolScopes(): "${tool}" must map to a scope or a list of scopes`);
    }
    for (const scope of scopes) {
      if (typeof scope !== 'string' || !isValidScopeToken(scope)) {
        throw new Error(
          `@RequiredToolScopes(): "${String(scope)}" (tool "${tool}") is not a valid scope token (RFC 6749 §3.3)`,
        );
      }
    }
    normalized[tool] = Object.freeze([...new Set(scopes as readonly string[])]);
  }
  return SetMetadata(REQUIRED_TOOL_SCOPES_METADATA, Object.freeze(normalized));
};
