import { sanitizeErrorDescription } from './oauth-error';

/** How talking to a remote party (an identity provider's discovery or keys) last went. */
export interface ContactStatus {
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  /** Name and message of the last failure (short, never a response body); null after a success. */
  lastError: string | null;
}

const MAX_ERROR_LENGTH = 200;

/** Keeps a {@link ContactStatus} up to date, for the administration API. */
export class ContactRecorder {
  private state: ContactStatus = { lastSuccessAt: null, lastFailureAt: null, lastError: null };

  succeeded(): void {
    this.state = { ...this.state, lastSuccessAt: new Date(), lastError: null };
  }

  failed(error: unknown): void {
    const text =
      error instanceof Error ? `${error.name}: ${error.message}` : 'non-error value thrown';
    this.state = {
      ...this.state,
      lastFailureAt: new Date(),
      lastError: sanitizeErrorDescription(text).slice(0, MAX_ERROR_LENGTH),
    };
  }

  get status(): ContactStatus {
    return { ...this.state };
  }
}
