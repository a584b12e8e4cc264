import type { MintRequest } from '../apps/bench.controller';

export const REDIRECT_URI = 'http://127.0.0.1:8976/callback';

/** A `tools/call` of the sample's `echo` tool: the same request for every MCP variant. */
export const TOOL_CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hello from the benchmark' } },
});

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

/** A tools/call answer that carries the echoed text (not a JSON-RPC or tool error). */
export function isToolResult(body: string): boolean {
  return body.includes('"result"') && body.includes('hello from the benchmark');
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Registers a public client through RFC 7591 dynamic registration, as MCP clients do. */
export async function registerClient(appUrl: string): Promise<string> {
  const client = await postJson<{ client_id: string }>(`${appUrl}/register`, {
    client_name: 'bench',
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
  return client.client_id;
}

export interface MintedCode {
  code: string;
  verifier: string;
}

export interface MintedRefresh {
  refreshToken: string;
  accessToken: string;
}

export function mint(
  appUrl: string,
  request: MintRequest & { kind: 'codes' },
): Promise<MintedCode[]>;
export function mint(
  appUrl: string,
  request: MintRequest & { kind: 'refresh_tokens' },
): Promise<MintedRefresh[]>;
export function mint(
  appUrl: string,
  request: MintRequest & { kind: 'access_tokens' },
): Promise<string[]>;
export function mint(appUrl: string, request: MintRequest): Promise<unknown[]> {
  return postJson<unknown[]>(`${appUrl}/bench/admin/mint`, request);
}

/** Rotates the app's signing key `count` times; answers the JWKS size. */
export async function rotateKeys(appUrl: string, count: number): Promise<number> {
  return (await postJson<{ keys: number }>(`${appUrl}/bench/admin/rotate`, { count })).keys;
}

export function refreshBody(clientId: string, refreshToken: string): string {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  }).toString();
}

/** `count` refresh-grant bodies, each with a freshly minted refresh token of `clientId`. */
export async function mintRefreshBodies(
  appUrl: string,
  clientId: string,
  count: number,
): Promise<string[]> {
  const minted = await mint(appUrl, {
    kind: 'refresh_tokens',
    count,
    clientId,
    redirectUri: REDIRECT_URI,
  });
  return minted.map((m) => refreshBody(clientId, m.refreshToken));
}

export function codeBody(clientId: string, minted: MintedCode): string {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: minted.code,
    code_verifier: minted.verifier,
    redirect_uri: REDIRECT_URI,
    client_id: clientId,
  }).toString();
}
