import type * as OpenId from 'openid-client';

/** openid-client is an optional peer, loaded when federation is configured. */
let library: Promise<typeof OpenId> | undefined;
export function openIdClient(): Promise<typeof OpenId> {
  library ??= import('openid-client').catch((error: unknown) => {
    library = undefined;
    throw new Error(
      'mcp-auth: federation needs the openid-client package (npm install openid-client)',
      { cause: error },
    );
  });
  return library;
}
