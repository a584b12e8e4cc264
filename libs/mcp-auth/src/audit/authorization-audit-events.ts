import type { McpAuthAuditEventBase } from './audit-event-base';

// The audit events of the authorization endpoint: consent, sign-in and authorization codes;
// the union of every event is `McpAuthAuditEvent` (audit-event.ts).

/**
 * The person approved the client (on the consent page, by remembered consent, or through
 * the host's own page calling `completeAuthorization`); a grant was created.
 * @publicApi
 */
export interface ConsentGrantedAuditEvent extends McpAuthAuditEventBase {
  type: 'consent.granted';
  client_id: string;
  subject: string;
  grant_id: string;
  scopes: string[];
  resource: string;
  /** Whether the approval is remembered, so the client is not asked again for these scopes. */
  remembered: boolean;
}

/**
 * An authorization ended without a code: the person denied it, the host refused the user, or
 * `prompt=none` could not be honoured.
 * @publicApi
 */
export interface ConsentDeniedAuditEvent extends McpAuthAuditEventBase {
  type: 'consent.denied';
  client_id: string;
  /** The signed-in person, when someone had signed in. */
  subject: string | null;
  scopes: string[];
  resource: string;
  /** The OAuth error the client receives. */
  reason: 'access_denied' | 'login_required' | 'consent_required' | 'interaction_required';
}

/**
 * How the person signed in: the built-in password form, or an upstream identity provider.
 * @publicApi
 */
export type McpAuthSignInMethod = 'password' | 'federation';

/**
 * Where a sign-in happened: absent for a pending authorization, `connected_apps` for the
 * connected-apps page (no client involved).
 * @publicApi
 */
export type McpAuthSignInContext = 'connected_apps';

/**
 * Someone signed in on a pending authorization, or on the connected-apps page.
 * @publicApi
 */
export interface SignInSucceededAuditEvent extends McpAuthAuditEventBase {
  type: 'sign_in.succeeded';
  method: McpAuthSignInMethod;
  /** The federation provider's `id`. */
  provider?: string;
  /** The client of the authorization; absent on the connected-apps page. */
  client_id?: string;
  /** `connected_apps` for the page's own sign-in; absent for an authorization. */
  context?: McpAuthSignInContext;
  subject: string;
  /** The user name typed on the password form; only with `audit.includeUsername`. */
  username?: string;
  /** Only with `audit.includeClientAddress`. */
  ip?: string;
}

/**
 * A sign-in failed. `reason`: `invalid_credentials` (password form), `upstream_denied` (the
 * person cancelled at the provider), `upstream_refused` (the provider's answer did not
 * verify), `upstream_unavailable`, `identity_refused` (the host's `federation.identity` hook
 * said no), `provider_mismatch` (a callback came back from another provider than it left for).
 * @publicApi
 */
export interface SignInFailedAuditEvent extends McpAuthAuditEventBase {
  type: 'sign_in.failed';
  method: McpAuthSignInMethod;
  provider?: string;
  /** The client of the authorization; absent for `provider_mismatch` and on the page. */
  client_id?: string;
  /** `connected_apps` for the page's own sign-in; absent for an authorization. */
  context?: McpAuthSignInContext;
  reason:
    | 'invalid_credentials'
    | 'upstream_denied'
    | 'upstream_refused'
    | 'upstream_unavailable'
    | 'identity_refused'
    | 'provider_mismatch';
  /** The user name typed on the password form; only with `audit.includeUsername`. */
  username?: string;
  /** Only with `audit.includeClientAddress`. */
  ip?: string;
}

/**
 * An authorization code was issued to the client's redirect URI.
 * @publicApi
 */
export interface CodeIssuedAuditEvent extends McpAuthAuditEventBase {
  type: 'code.issued';
  client_id: string;
  subject: string;
  grant_id: string;
  scopes: string[];
  resource: string;
}

/**
 * A used authorization code was presented again. When the client it was issued to replays
 * it, its grant is revoked (`grant_revoked`, and a `grant.revoked` event follows).
 * @publicApi
 */
export interface CodeReplayedAuditEvent extends McpAuthAuditEventBase {
  type: 'code.replayed';
  /** The client that presented the code. */
  client_id: string;
  grant_id: string;
  grant_revoked: boolean;
}
