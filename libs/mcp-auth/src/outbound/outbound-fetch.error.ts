/** Why an outbound fetch was refused or failed; stable, for logs, metrics and error mapping. */
export type OutboundFetchErrorReason =
  | 'invalid_url'
  | 'policy'
  | 'dns'
  | 'forbidden_address'
  | 'connection'
  | 'timeout'
  | 'redirect'
  | 'http_status'
  | 'too_large'
  | 'not_json';

/**
 * The one error of the outbound fetcher. `reason` is machine-readable; the message names the
 * URL, status or limit involved but never contains (any part of) a response body.
 */
export class OutboundFetchError extends Error {
  override readonly name = 'OutboundFetchError';

  constructor(
    readonly reason: OutboundFetchErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
