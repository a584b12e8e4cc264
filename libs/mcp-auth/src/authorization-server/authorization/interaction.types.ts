import type { PromptValue } from '../../oauth/prompt';

/** A pending authorization as a login or consent page needs to describe it. */
export interface PendingInteraction {
  clientId: string;
  clientName: string | null;
  /**
   * The client does not authenticate (`token_endpoint_auth_method: none`): anyone can present
   * its client_id (RFC 8252 §8.6), so its name proves nothing and its consent is asked for
   * every time (unless `consent.rememberForPublicClients`).
   */
  publicClient: boolean;
  /**
   * Metadata-document clients (AS-11): the host of the client_id URL, whose site published the
   * name. Show it beside the name, which alone proves nothing (AS-17, CIMD §6.4). null for
   * registered clients.
   */
  clientIdHost: string | null;
  /**
   * Every redirect URI of the client is on the loopback interface, so any program on the
   * user's machine can receive the code in its name: warn (AS-17). Consent for a
   * metadata-document client like this is never remembered.
   */
  loopbackOnly: boolean;
  /** Where the code will go; show its host so the user sees who receives access (AS-17). */
  redirectUri: string;
  scopes: { name: string; description: string }[];
  resource: string;
  /**
   * The client's `prompt` (OIDC Core §3.1.2.1). A host's own page must honour it:
   * - `login`: sign the user in again, even with a live session;
   * - `consent`: ask for consent even when it is remembered (`hasConsent` then says false);
   * - `none`: show nothing. With a signed-in user call `completeAuthorization` (it answers
   *   `consent_required` itself when consent would have to be asked), otherwise
   *   `denyAuthorization` with `login_required`.
   */
  prompt: PromptValue[];
  /** Set once someone signed in on this interaction. */
  subject: string | null;
  /** How the built-in consent page names the signed-in user. */
  subjectDisplayName: string | null;
  expiresAt: Date;
}

/** How a host's login page finishes an authorization. */
export interface AuthorizationResult {
  /** The signed-in user's stable id (token `sub`). */
  subject: string;
  /** Scopes the user approved; must be among those requested. Default: all requested. */
  scopes?: string[];
  /**
   * Remember the approval so the same client is not asked again for these scopes. Default
   * true; it takes effect only for clients that authenticate, or for every client with
   * `consent.rememberForPublicClients`.
   */
  rememberConsent?: boolean;
}

/** Why an authorization is refused, as the client learns it. */
export interface DenialReason {
  error?: 'access_denied' | 'login_required' | 'consent_required' | 'interaction_required';
  description?: string;
}

/** The interaction id is unknown, expired or already finished. */
export class InteractionNotFoundError extends Error {
  override readonly name = 'InteractionNotFoundError';
  constructor() {
    super('The authorization request is unknown, expired or already finished.');
  }
}
