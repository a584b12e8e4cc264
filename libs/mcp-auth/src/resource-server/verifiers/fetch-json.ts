import { AccessTokenVerifierUnavailableError } from '../access-token-verifier.interface';

export interface FetchJsonOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds before giving up. */
  timeoutMs: number;
  /** Largest response accepted. Default 256 KiB: metadata and key sets are small. */
  maxBytes?: number;
}

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
}

/**
 * A JSON request to an authorization server the resource server depends on. Redirects are
 * not followed (metadata, keys and introspection answers must come from the configured URL),
 * and anything that prevents an answer — network, timeout, oversize — is an
 * `AccessTokenVerifierUnavailableError` naming only the URL.
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<JsonResponse> {
  const maxBytes = options.maxBytes ?? 256 * 1024;
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: { Accept: 'application/json', ...options.headers },
      body: options.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new AccessTokenVerifierUnavailableError(`${url} unreachable: ${describe(error)}`, {
      cause: error,
    });
  }
  let text: string;
  try {
    text = await readLimited(response, maxBytes);
  } catch (error) {
    throw new AccessTokenVerifierUnavailableError(`${url}: ${describe(error)}`, { cause: error });
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) throw new Error('response too large');
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early cancels the stream.
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new Error('response too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return error.name === 'TimeoutError' ? 'timed out' : error.message;
  }
  return String(error);
}

/** Whether a value is a plain JSON object. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
