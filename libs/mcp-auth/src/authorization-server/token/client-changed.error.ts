/**
 * The client row changed (or went) between authentication and the grant's statement, which
 * then changed nothing. The token controller authenticates the client again from the store
 * and retries once; it never reaches the client.
 */
export class ClientChangedError extends Error {
  override readonly name = 'ClientChangedError';

  constructor() {
    super('The client changed while the token request ran.');
  }
}
