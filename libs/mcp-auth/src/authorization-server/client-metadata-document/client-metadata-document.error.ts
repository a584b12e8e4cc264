/**
 * A Client ID Metadata Document could not be used: the URL, the fetch, the operator's policy
 * or the document itself. The message is safe to show the user and to log: it names the URL
 * and what was wrong, never any part of the response body.
 */
export class ClientMetadataDocumentError extends Error {
  override readonly name = 'ClientMetadataDocumentError';

  constructor(
    /** The client_id (the document's URL) as presented. */
    readonly clientId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
