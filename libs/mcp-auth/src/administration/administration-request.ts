import { OAuthError } from '../oauth/oauth-error';

/** Page size when the request names none. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page the API serves (the stores' own limit). */
export const MAX_PAGE_SIZE = 200;
/** Longest identifier (client id, subject, cursor) the API reads. */
const MAX_ID_LENGTH = 2048;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Query = Record<string, unknown>;

/**
 * The query string as plain strings, refusing members the operation does not know and any
 * member given twice or in bracket syntax (both adapters' parsers may produce arrays/objects).
 *
 * @throws OAuthError invalid_request
 */
export function readQuery(query: unknown, allowed: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  if (query === undefined || query === null) return result;
  if (typeof query !== 'object') throw OAuthError.invalidRequest('The query is malformed.');
  for (const [name, value] of Object.entries(query as Query)) {
    if (!allowed.includes(name)) {
      throw OAuthError.invalidRequest(`Unknown query parameter: ${name.slice(0, 40)}`);
    }
    if (typeof value !== 'string') {
      throw OAuthError.invalidRequest(`${name} must be given once, as a plain value.`);
    }
    result[name] = value;
  }
  return result;
}

/** `limit`: a whole number 1..MAX_PAGE_SIZE, default DEFAULT_PAGE_SIZE. */
export function readLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  if (!/^[1-9][0-9]{0,2}$/.test(value) || Number(value) > MAX_PAGE_SIZE) {
    throw OAuthError.invalidRequest(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return Number(value);
}

/** An identifier from the path, query or body: non-empty, bounded, no control characters. */
export function readIdentifier(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_ID_LENGTH ||
    hasControlCharacter(value)
  ) {
    throw OAuthError.invalidRequest(`${name} is malformed.`);
  }
  return value;
}

/** An optional identifier: undefined stays undefined. */
export function readOptionalIdentifier(
  value: string | undefined,
  name: string,
): string | undefined {
  return value === undefined ? undefined : readIdentifier(value, name);
}

/** A grant id: a UUID. */
export function readGrantId(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw OAuthError.invalidRequest('The grant id is malformed.');
  }
  return value.toLowerCase();
}

/** One of `choices`, or the default when absent. */
export function readChoice<T extends string>(
  value: string | undefined,
  name: string,
  choices: readonly T[],
  fallback: T | undefined,
): T | undefined {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw OAuthError.invalidRequest(`${name} must be one of: ${choices.join(', ')}.`);
  }
  return value as T;
}

/** Body of `POST grants/revoke`: `subject`, `client_id` or both, and nothing else. */
export function readRevocationFilter(body: unknown): { subject?: string; clientId?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuthError.invalidRequest(
      'The body must be a JSON object with subject and/or client_id.',
    );
  }
  const members = body as Record<string, unknown>;
  for (const name of Object.keys(members)) {
    if (name !== 'subject' && name !== 'client_id') {
      throw OAuthError.invalidRequest(`Unknown member: ${name.slice(0, 40)}`);
    }
  }
  const subject =
    members.subject === undefined ? undefined : readIdentifier(members.subject, 'subject');
  const clientId =
    members.client_id === undefined ? undefined : readIdentifier(members.client_id, 'client_id');
  if (subject === undefined && clientId === undefined) {
    throw OAuthError.invalidRequest('Name the grants to revoke: subject, client_id or both.');
  }
  return { subject, clientId };
}

/** A request without a body, or with an empty one (`{}`); anything else is refused. */
export function requireNoBody(body: unknown): void {
  const empty =
    body === undefined ||
    body === null ||
    body === '' ||
    (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
  if (!empty) throw OAuthError.invalidRequest('This operation takes no body.');
}

/** Whether text holds a C0 control character or DEL (no identifier does). */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
