/** Client credentials from an HTTP Basic `Authorization` header (RFC 6749 §2.3.1). */
export interface BasicCredentials {
  clientId: string;
  /** May be empty: whether an empty secret is acceptable is the caller's decision. */
  clientSecret: string;
}

/** Why a header could not be read. Never carries any part of the credentials. */
export type BasicAuthFailure =
  | 'not_basic'
  | 'too_long'
  | 'malformed_base64'
  | 'malformed_utf8'
  | 'missing_colon'
  | 'malformed_encoding'
  | 'empty_client_id'
  | 'invalid_characters';

export type BasicAuthResult =
  | { ok: true; credentials: BasicCredentials }
  | { ok: false; failure: BasicAuthFailure; description: string };

/** Far above any real `client_id:client_secret` pair; bounds the work done on junk. */
const MAX_HEADER_LENGTH = 4096;
// RFC 7617 / RFC 7235: scheme (case-insensitive), one or more spaces, token68 in standard
// base64 with its padding (RFC 4648 §4). Node strips the surrounding whitespace.
const BASIC_HEADER = /^basic +(\S*)$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTROL_CHARACTERS = /\p{Cc}/u;

const DESCRIPTIONS: Record<BasicAuthFailure, string> = {
  not_basic: 'The Authorization header does not use the Basic scheme.',
  too_long: 'The Authorization header is too long.',
  malformed_base64: 'The Basic credentials are not valid base64.',
  malformed_utf8: 'The Basic credentials are not valid UTF-8.',
  missing_colon: 'The Basic credentials lack the colon between client id and secret.',
  malformed_encoding: 'The Basic credentials are not correctly form-urlencoded.',
  empty_client_id: 'The Basic credentials have an empty client id.',
  invalid_characters: 'The Basic credentials contain control characters.',
};

const failure = (reason: BasicAuthFailure): BasicAuthResult => ({
  ok: false,
  failure: reason,
  description: DESCRIPTIONS[reason],
});

/**
 * Reads `client_secret_basic` credentials (AS-20). RFC 6749 §2.3.1: the client id and secret
 * are each `application/x-www-form-urlencoded` before being joined with `:` and base64-encoded,
 * so both are form-url-decoded here (`+` is a space, `%3A` a colon).
 *
 * Returns null when there is no Authorization header, so the caller can try other methods.
 * A failure should become `invalid_client` (401) with a Basic challenge (RFC 6749 §5.2), or
 * `invalid_request` if the caller prefers to treat a malformed header as a bad request.
 */
export function parseBasicAuthorization(header: string | undefined): BasicAuthResult | null {
  if (header === undefined || header === '') {
    return null;
  }
  if (header.length > MAX_HEADER_LENGTH) {
    return failure('too_long');
  }
  const match = BASIC_HEADER.exec(header);
  if (!match) {
    return /^basic(?: |$)/i.test(header) ? failure('malformed_base64') : failure('not_basic');
  }
  const encoded = match[1];
  if (encoded === '' || !BASE64.test(encoded)) {
    return failure('malformed_base64');
  }
  const bytes = Buffer.from(encoded, 'base64');
  // Non-zero padding bits mean the value was not produced by a base64 encoder.
  if (bytes.toString('base64') !== encoded) {
    return failure('malformed_base64');
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return failure('malformed_utf8');
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) {
    return failure('missing_colon');
  }
  const clientId = formUrlDecode(decoded.slice(0, colon));
  const clientSecret = formUrlDecode(decoded.slice(colon + 1));
  if (clientId === null || clientSecret === null) {
    return failure('malformed_encoding');
  }
  if (clientId === '') {
    return failure('empty_client_id');
  }
  if (CONTROL_CHARACTERS.test(clientId) || CONTROL_CHARACTERS.test(clientSecret)) {
    return failure('invalid_characters');
  }
  return { ok: true, credentials: { clientId, clientSecret } };
}

/** `application/x-www-form-urlencoded` decoding of one value; null on a bad `%` escape. */
function formUrlDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
