import { SetMetadata } from '@nestjs/common';
import { MCP_RESOURCE_METADATA } from '../resource-server.constants';

/**
 * Names the protected resource a route belongs to, by path (`'/mcp'`) or canonical URI, when
 * the request path does not tell (e.g. behind a global prefix). Without it the guard picks
 * the resource whose path is the longest prefix of the request path, else the first one.
 * @publicApi
 */
export const McpResource = (pathOrUri: string): MethodDecorator & ClassDecorator =>
  SetMetadata(MCP_RESOURCE_METADATA, pathOrUri);
