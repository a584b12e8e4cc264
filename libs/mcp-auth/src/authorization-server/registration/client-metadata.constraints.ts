import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';
import { LOOPBACK_HOSTS } from '../../oauth/loopback';

// C0/C1 controls; bidirectional overrides and isolates, which let a `client_name` shown on
// the consent page read differently from what it is (AS-17); unpaired surrogates, which
// Postgres cannot store as UTF-8.
// In `u` mode a surrogate range matches only unpaired halves (a valid pair is one code point).
const UNSAFE_TEXT = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

/** Whether a metadata string is free of control, bidi-override and unpaired-surrogate characters. */
export function isSafeText(value: unknown): boolean {
  return typeof value === 'string' && !UNSAFE_TEXT.test(value);
}

/** Longest URI accepted in any URI-valued metadata member. */
export const MAX_METADATA_URI_LENGTH = 2000;

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Whether a URI-valued metadata member (`client_uri`, `logo_uri`, `tos_uri`, `policy_uri`) is
 * safe to show as a link or load as an image on the consent page: absolute `https:`, or
 * `http:` on a loopback host (development), no user information, visible ASCII only. That
 * rules out `javascript:`, `data:` and every other scheme.
 */
export function isWebUri(value: unknown): boolean {
  if (
    typeof value !== 'string' ||
    value.length > MAX_METADATA_URI_LENGTH ||
    !VISIBLE_ASCII.test(value) ||
    value.includes('\\')
  ) {
    return false;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  // The raw string must start with the scheme WHATWG parsed, so `HTTPS:` or `https:host`
  // spellings that parse leniently are not stored in a form other parsers read differently.
  if (url.protocol === 'https:') return value.startsWith('https://');
  return (
    url.protocol === 'http:' && value.startsWith('http://') && LOOPBACK_HOSTS.has(url.hostname)
  );
}

/** class-validator: a string without control, bidi-override or unpaired-surrogate characters. */
export function IsSafeText(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSafeText',
      validator: {
        validate: (value: unknown): boolean => isSafeText(value),
        defaultMessage: buildMessage(
          (eachPrefix) => `${eachPrefix}$property must not contain control characters`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}

/** class-validator: see {@link isWebUri}. */
export function IsWebUri(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWebUri',
      validator: {
        validate: (value: unknown): boolean => isWebUri(value),
        defaultMessage: buildMessage(
          (eachPrefix) =>
            `${eachPrefix}$property must be an absolute https URL (or http on localhost) without user information`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}

/** Keys a client may register: a handful, each small (an RSA-4096 public JWK is ~800 bytes). */
const MAX_JWKS_KEYS = 10;
const MAX_JWKS_BYTES = 16 * 1024;
/** Members that only private or symmetric keys have: never accepted from a client. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Whether `jwks` is a JWK Set of public keys (RFC 7517 §5): `keys` lists 1 to 10 objects with a
 * `kty`, none of them holding private or symmetric key material, small in total.
 */
export function isPublicJwks(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_JWKS_KEYS) return false;
  if (JSON.stringify(value).length > MAX_JWKS_BYTES) return false;
  return keys.every(
    (key) =>
      typeof key === 'object' &&
      key !== null &&
      !Array.isArray(key) &&
      typeof (key as { kty?: unknown }).kty === 'string' &&
      (key as { kty: string }).kty !== 'oct' &&
      PRIVATE_MEMBERS.every((member) => !(member in key)),
  );
}

/** class-validator: see {@link isPublicJwks}. */
export function IsPublicJwks(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPublicJwks',
      validator: {
        validate: (value: unknown): boolean => isPublicJwks(value),
        defaultMessage: buildMessage(
          (eachPrefix) =>
            `${eachPrefix}$property must be a JWK Set of 1 to ${MAX_JWKS_KEYS} public keys`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}
