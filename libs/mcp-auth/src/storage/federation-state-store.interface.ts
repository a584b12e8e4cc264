import { Inject } from '@nestjs/common';

/**
 * What an upstream round trip is for: finishing a pending authorization, or signing in on the
 * connected-apps page. A state of one purpose never serves the other.
 * @publicApi
 */
export type FederationStatePurpose = 'authorization' | 'connected_apps';

/**
 * A browser sent on to an upstream identity provider, waiting for its callback: for an
 * authorization (only once the user approved our consent page), or for the connected-apps page.
 */
export interface FederationStateRecord {
  /** SHA-256 of the `state` sent upstream; the plain value only travels through the browser. */
  stateHash: string;
  /**
   * Absent is `authorization` (the only purpose of stores written before the page's sign-in).
   * A store must keep and return it as given.
   */
  purpose?: FederationStatePurpose;
  /** The pending authorization (SHA-256 of its interaction id); empty for `connected_apps`. */
  interactionIdHash: string;
  /** The provider's id from the options. */
  provider: string;
  /** OIDC `nonce` to expect in the ID token; null for plain OAuth 2 providers. */
  nonce: string | null;
  /** PKCE verifier of the upstream request; null when the provider takes no PKCE. */
  codeVerifier: string | null;
  /** The browser that was sent upstream (SHA-256 of its binding cookie). */
  browserBindingHash: string;
  expiresAt: Date;
}

/** @publicApi */
export interface FederationStateStore {
  create(record: FederationStateRecord): Promise<void>;
  /**
   * Removes and returns the state when it is unexpired and was started by this browser.
   * Single use: of several concurrent callers exactly one gets it. Null otherwise, changing
   * nothing.
   */
  consume(stateHash: string, browserBindingHash: string): Promise<FederationStateRecord | null>;
  /** Whether an unexpired state exists at all (to tell "another browser" from "unknown"). */
  exists(stateHash: string): Promise<boolean>;
}

export const FederationStateStore = Symbol('McpAuth:FederationStateStore');

/** Injects the `FederationStateStore`. @publicApi */
export const InjectFederationStateStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(FederationStateStore);
