import { Inject } from '@nestjs/common';
import type { PromptValue } from '../oauth/prompt';

/**
 * A validated /authorize request waiting for the resource owner to sign in and consent.
 * It is keyed by the hash of the interaction id, which only the browser that started it holds.
 */
export interface AuthorizationRequestRecord {
  /** SHA-256 of the interaction id handed to the browser. */
  idHash: string;
  clientId: string;
  /** The redirect URI the code will be sent to (the registered one when the client omitted it). */
  redirectUri: string;
  /** Whether the client sent redirect_uri; then the token request must repeat it. */
  redirectUriProvided: boolean;
  scopes: string[];
  resource: string;
  state: string | null;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  /** The client's `prompt` values (OIDC Core §3.1.2.1); empty when it sent none. */
  prompt: PromptValue[];
  /**
   * SHA-256 of the browser-binding cookie: the one set when the interaction started, then the
   * one that replaced it at sign-in.
   */
  browserBindingHash: string;
  /** Set once the resource owner has signed in. */
  subject: string | null;
  /** How the consent page names the signed-in user; null before sign-in. */
  subjectDisplayName: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export type NewAuthorizationRequest = Omit<
  AuthorizationRequestRecord,
  'createdAt' | 'subject' | 'subjectDisplayName'
> & {
  subject?: string | null;
  subjectDisplayName?: string | null;
};

/** Who signed in on a pending request. */
export interface SignedInOwner {
  subject: string;
  displayName: string | null;
}

/** The browser binding a sign-in replaces (session fixation): the old hash and the new one. */
export interface BrowserBindingRotation {
  current: string;
  next: string;
}

/** @publicApi */
export interface AuthorizationRequestStore {
  create(request: NewAuthorizationRequest): Promise<AuthorizationRequestRecord>;
  /** Returns the request if it exists, is not consumed and has not expired (database clock). */
  findActive(idHash: string): Promise<AuthorizationRequestRecord | null>;
  /**
   * Records who signed in on an active request still bound to `binding.current`, and in the
   * same statement moves every active request bound to `binding.current` (other tabs of the
   * same browser) to `binding.next`: the browser's cookie is replaced at sign-in. Returns
   * false, changing nothing, when the request is gone or bound to another browser.
   */
  recordSignIn(
    idHash: string,
    owner: SignedInOwner,
    binding: BrowserBindingRotation,
  ): Promise<boolean>;
  /**
   * Atomically marks the request finished and returns it. Exactly one caller wins,
   * however many race; the rest (and callers after expiry) get null.
   */
  consume(idHash: string): Promise<AuthorizationRequestRecord | null>;
  /**
   * A request that was consumed (approved, denied or otherwise finished) and not purged yet,
   * expired or not; null for unknown and still pending ones. Lets a page tell "already
   * answered" from "expired".
   */
  findConsumed(idHash: string): Promise<AuthorizationRequestRecord | null>;
}

export const AuthorizationRequestStore = Symbol('McpAuth:AuthorizationRequestStore');

/** @publicApi */
export const InjectAuthorizationRequestStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(AuthorizationRequestStore);
