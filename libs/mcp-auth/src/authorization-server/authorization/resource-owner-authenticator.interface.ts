import { Inject } from '@nestjs/common';

/** Who signed in on the built-in login page. */
export interface AuthenticatedResourceOwner {
  /** Stable user id: becomes the token's `sub`. */
  subject: string;
  /** Shown on the consent page ("Signed in as …"). */
  displayName?: string;
}

export interface AuthenticationContext {
  /** Client address as Express reports it (mind `trust proxy`). */
  ip: string | undefined;
}

/**
 * Checks a username and password for the built-in login page. The host application
 * implements it against its own users; the module never sees a password store.
 * @publicApi
 */
export interface ResourceOwnerAuthenticator {
  /** The resource owner, or null when the credentials are wrong. */
  authenticate(
    username: string,
    password: string,
    context: AuthenticationContext,
  ): Promise<AuthenticatedResourceOwner | null>;
}

export const ResourceOwnerAuthenticator = Symbol('McpAuth:ResourceOwnerAuthenticator');

/** @publicApi */
export const InjectResourceOwnerAuthenticator = (): ParameterDecorator & PropertyDecorator =>
  Inject(ResourceOwnerAuthenticator);
