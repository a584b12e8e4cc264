import { OAuthError } from '../../oauth/oauth-error';

/** Longest value accepted for an ordinary parameter; far above any real code, verifier or URI. */
export const DEFAULT_MAX_PARAMETER_LENGTH = 2048;

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** The parts of an Express request the reader needs (kept structural for unit tests). */
export interface FormRequest {
  headers: { 'content-type'?: string };
  body?: unknown;
}

export interface ParameterOptions {
  /** Longest accepted value, in characters. Default {@link DEFAULT_MAX_PARAMETER_LENGTH}. */
  maxLength?: number;
}

/**
 * Strict reader of the form-encoded body of the token, revocation and introspection endpoints.
 *
 * Express parses bodies with `qs` (`extended: true`), so `a[b]=c` arrives as an object and a
 * repeated parameter as an array. RFC 6749 §3.1 says parameters MUST NOT be included more than
 * once, and none of ours is structured, so anything that is not one plain string is an
 * `invalid_request` (AS-24). Unknown parameters are never looked at (RFC 6749 §3.1, AS-18).
 */
export class FormParameters {
  private constructor(private readonly body: Readonly<Record<string, unknown>>) {}

  /**
   * Refuses anything but `application/x-www-form-urlencoded` (RFC 6749 §3.2, RFC 7009 §2.1,
   * RFC 7662 §2.1): a JSON body would otherwise be read by the same code, and a client that
   * sends JSON is broken in ways we should tell it about.
   *
   * @throws OAuthError invalid_request
   */
  static fromRequest(request: FormRequest): FormParameters {
    if (!isFormContentType(request.headers['content-type'])) {
      throw OAuthError.invalidRequest(`The request body must be ${FORM_MEDIA_TYPE}.`);
    }
    const body = request.body;
    // No body at all (Content-Length: 0) parses to nothing: every parameter is then missing.
    if (body === undefined || body === null) {
      return new FormParameters({});
    }
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw OAuthError.invalidRequest(`The request body must be ${FORM_MEDIA_TYPE}.`);
    }
    return new FormParameters(body as Record<string, unknown>);
  }

  /** For tests and callers that already hold a parsed body. */
  static fromObject(body: Readonly<Record<string, unknown>>): FormParameters {
    return new FormParameters(body);
  }

  /**
   * One parameter, or undefined when absent. RFC 6749 §3.1: a parameter sent without a value
   * is treated as omitted.
   *
   * @throws OAuthError invalid_request when repeated, structured or too long
   */
  get(name: string, options: ParameterOptions = {}): string | undefined {
    // Own properties only: `qs` objects inherit from Object.prototype (`constructor`, ...).
    if (!Object.prototype.hasOwnProperty.call(this.body, name)) {
      return undefined;
    }
    const value = this.body[name];
    if (Array.isArray(value)) {
      throw OAuthError.invalidRequest(`The ${name} parameter is included more than once.`);
    }
    if (typeof value !== 'string') {
      throw OAuthError.invalidRequest(`The ${name} parameter must be a single string.`);
    }
    if (value.length > (options.maxLength ?? DEFAULT_MAX_PARAMETER_LENGTH)) {
      throw OAuthError.invalidRequest(`The ${name} parameter is too long.`);
    }
    return value === '' ? undefined : value;
  }

  /** Whether the parameter was sent more than once (RFC 8707 allows that for `resource`). */
  isRepeated(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.body, name) && Array.isArray(this.body[name]);
  }

  /**
   * A parameter that must be present.
   *
   * @throws OAuthError invalid_request when missing, repeated, structured or too long
   */
  require(name: string, options: ParameterOptions = {}): string {
    const value = this.get(name, options);
    if (value === undefined) {
      throw OAuthError.invalidRequest(`The ${name} parameter is required.`);
    }
    return value;
  }
}

/** `application/x-www-form-urlencoded`, any case, optionally with parameters such as charset. */
function isFormContentType(header: string | undefined): boolean {
  if (typeof header !== 'string') {
    return false;
  }
  const mediaType = header.split(';', 1)[0].trim().toLowerCase();
  return mediaType === FORM_MEDIA_TYPE;
}
