import { OAuthError } from '../../oauth/oauth-error';
import { type ParameterOptions, RequestParameters } from '../../oauth/request-parameters';

export type { ParameterOptions };

/** Longest value accepted for an ordinary form parameter; far above any real code, verifier or URI. */
export const DEFAULT_MAX_PARAMETER_LENGTH = 2048;

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** The parts of an Express request the reader needs (kept structural for unit tests). */
export interface FormRequest {
  headers: { 'content-type'?: string };
  body?: unknown;
}

/**
 * The form-encoded body of the token, revocation and introspection endpoints, read with the
 * strict rules of {@link RequestParameters} (one plain string per parameter, RFC 6749 §3.1)
 * and a tighter default length.
 */
export class FormParameters {
  private constructor(private readonly params: RequestParameters) {}

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
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw OAuthError.invalidRequest(`The request body must be ${FORM_MEDIA_TYPE}.`);
    }
    return new FormParameters(new RequestParameters(body));
  }

  /** For tests and callers that already hold a parsed body. */
  static fromObject(body: Readonly<Record<string, unknown>>): FormParameters {
    return new FormParameters(new RequestParameters(body));
  }

  /**
   * One parameter, or undefined when absent or empty (RFC 6749 §3.1).
   * @throws OAuthError invalid_request when repeated, structured or too long
   */
  get(name: string, options: ParameterOptions = {}): string | undefined {
    return this.params.optional(name, withDefault(options));
  }

  /**
   * A parameter that must be present.
   * @throws OAuthError invalid_request when missing, repeated, structured or too long
   */
  require(name: string, options: ParameterOptions = {}): string {
    return this.params.required(name, withDefault(options));
  }

  /** Whether the parameter was sent more than once (RFC 8707 allows that for `resource`). */
  isRepeated(name: string): boolean {
    return this.params.isRepeated(name);
  }
}

function withDefault(options: ParameterOptions): ParameterOptions {
  return { maxLength: options.maxLength ?? DEFAULT_MAX_PARAMETER_LENGTH };
}

/** `application/x-www-form-urlencoded`, any case, with or without parameters (charset). */
function isFormContentType(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(';')[0].trim().toLowerCase() === FORM_MEDIA_TYPE;
}
