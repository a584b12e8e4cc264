import type { Exchange, InMemoryOAuthClientProvider } from '../../support/oauth-client-provider';

/**
 * Steps the SDK client proofs share (v1 and v2 clients, CIMD, federation, machine clients): what
 * a tool result looks like, reading the recorded exchanges, and revoking a grant and waiting
 * for the resource server to refuse its still-unexpired access token.
 */

/** The parts of an MCP `tools/call` result the proofs read. */
export interface ToolResult {
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** The form body of a recorded request (a /token or /revoke exchange). */
export function formOf(exchange: Exchange | undefined): URLSearchParams {
  return new URLSearchParams(exchange?.body ?? '');
}

export const isMcpPost = (exchange: Exchange, mcpUrl: string): boolean =>
  exchange.method === 'POST' && exchange.url === mcpUrl;

/** The token-endpoint exchanges among `exchanges`. */
export const tokenRequests = (exchanges: Exchange[], issuer: string): Exchange[] =>
  exchanges.filter((e) => e.url === `${issuer}/token`);

/** The status of a bare `tools/list` POST to the MCP endpoint with `accessToken`. */
export async function mcpStatus(mcpUrl: string, accessToken: string): Promise<number> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  await response.body?.cancel();
  return response.status;
}

/** POST /revoke of a public client's refresh token (RFC 7009); returns the status. */
export async function revokeRefreshToken(
  issuer: string,
  refreshToken: string,
  clientId: string,
): Promise<number> {
  const response = await fetch(`${issuer}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: refreshToken,
      token_type_hint: 'refresh_token',
      client_id: clientId,
    }),
  });
  await response.body?.cancel();
  return response.status;
}

/**
 * Polls the MCP endpoint with an unexpired access token of a revoked grant until the
 * resource server's deny-list (NOTIFY and its catch-up poll) refuses it; returns the last
 * status and how long it took. Gives up after 10 s.
 */
export async function waitForRefusal(
  mcpUrl: string,
  accessToken: string,
): Promise<{ status: number; elapsedMs: number }> {
  const started = Date.now();
  let status = 0;
  while (Date.now() - started < 10_000) {
    status = await mcpStatus(mcpUrl, accessToken);
    if (status === 401) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { status, elapsedMs: Date.now() - started };
}

/**
 * What the SDK does after its grant was revoked, read from the exchanges of one tool call:
 * 401 → refresh → invalid_grant (400) → tokens forgotten → one new authorization URL.
 */
export function expectReauthorization(
  exchanges: Exchange[],
  issuer: string,
  provider: InMemoryOAuthClientProvider,
  authorizationUrlsBefore: number,
): void {
  expect(exchanges[0].status).toBe(401);
  expect(exchanges[0].responseHeaders.get('www-authenticate')).toMatch(
    /^Bearer error="invalid_token"/,
  );
  expect(tokenRequests(exchanges, issuer)[0]?.status).toBe(400);
  expect(provider.tokens()).toBeUndefined();
  expect(provider.authorizationUrls.length).toBe(authorizationUrlsBefore + 1);
}
