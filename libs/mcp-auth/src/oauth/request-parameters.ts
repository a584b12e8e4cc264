import { OAuthError } from './oauth-error';

/** Longest single parameter value accepted by default; real values are far shorter. */
export const MAX_PARAMETER_LENGTH = 4096;

export interface ParameterOptions {
  /** Longest accepted value, in characters. Default {@link MAX_PARAMETER_LENGTH}. */
  maxLength?: number;
}

/**
 * Reads OAuth request parameters strictly (RFC 6749 §3.1): each is a single string. Express
 * turns a repeated parameter into an array and `a[b]=c` into an object; both are refused, as
 * is an over-long value. Unknown parameters are simply never read (AS-18).
 */
export class RequestParameters {
  private readonly source: Readonly<Record<string, unknown>>;

  constructor(source: unknown) {
    this.source =
      source !== null && typeof source === 'object' && !Array.isArray(source)
        ? (source as Record<string, unknown>)
        : {};
  }

  /** The value, or undefined when absent or empty; throws `invalid_request` when malformed. */
  optional(name: string, options: ParameterOptions = {}): string | undefined {
    // Own properties only: `constructor` or `__proto__` must not resolve to inherited values.
    const value = Object.hasOwn(this.source, name) ? this.source[name] : undefined;
    if (value === undefined || value === '') return undefined;
    if (Array.isArray(value)) {
      throw OAuthError.invalidRequest(`The ${name} parameter is included more than once.`);
    }
    if (typeof value !== 'string') {
      throw OAuthError.invalidRequest(`The ${name} parameter must be a single string.`);
    }
    if (value.length > (options.maxLength ?? MAX_PARAMETER_LENGTH)) {
      throw OAuthError.invalidRequest(`The ${name} parameter is too long.`);
    }
    return value;
  }

  required(name: string, options: ParameterOptions = {}): string {
    const value = this.optional(name, options);
    if (value === undefined) throw OAuthError.invalidRequest(`The ${name} parameter is required.`);
    return value;
  }

  /** Whether the parameter was sent more than once. */
  isRepeated(name: string): boolean {
    return Object.hasOwn(this.source, name) && Array.isArray(this.source[name]);
  }

  /** Whether the parameter was sent at all (repeated or malformed included). */
  has(name: string): boolean {
    return Object.hasOwn(this.source, name) && this.source[name] !== undefined;
  }
}
