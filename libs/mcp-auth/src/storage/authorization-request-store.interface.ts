import { Inject } from '@nestjs/common';

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
  /** SHA-256 of the browser-binding cookie set when the interaction started. */
  browserBindingHash: string;
  /** Set once the resource owner has signed in. */
  subject: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export type NewAuthorizationRequest = Omit<AuthorizationRequestRecord, 'createdAt' | 'subject'> & {
  subject?: string | null;
};

/** @publicApi */
export interface AuthorizationRequestStore {
  create(request: NewAuthorizationRequest): Promise<AuthorizationRequestRecord>;
  /** Returns the request if it exists, is not consumed and has not expired (database clock). */
  findActive(idHash: string): Promise<AuthorizationRequestRecord | null>;
  /** Records the signed-in subject on an active request. Returns false when it is gone. */
  setSubject(idHash: string, subject: string): Promise<boolean>;
  /**
   * Atomically marks the request finished and returns it. Exactly one caller wins,
   * however many race; the rest (and callers after expiry) get null.
   */
  consume(idHash: string): Promise<AuthorizationRequestRecord | null>;
}

export const AuthorizationRequestStore = Symbol('McpAuth:AuthorizationRequestStore');

/** @publicApi */
export const InjectAuthorizationRequestStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(AuthorizationRequestStore);
