/** The provider answered, but not in a way that signs anyone in. */
export class UpstreamRefusedError extends Error {
  override readonly name = 'UpstreamRefusedError';
  constructor(
    /** The OAuth error code the provider sent (e.g. `access_denied`), if any. */
    readonly error: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The provider could not be reached, or did not answer in time. */
export class UpstreamUnavailableError extends Error {
  override readonly name = 'UpstreamUnavailableError';
}
