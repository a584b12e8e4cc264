import type { ClientSource, TokenEndpointAuthMethod } from '../storage/client-store.interface';
import type {
  GrantRevokedAuditEvent,
  RateLimitExceededAuditEvent,
  RefreshTokenReusedAuditEvent,
  SigningKeyCreatedAuditEvent,
  SigningKeyRotatedAuditEvent,
  TokenIssuedAuditEvent,
  TokenRefreshedAuditEvent,
  TokenRevokedAuditEvent,
} from './token-audit-events';

export type * from './token-audit-events';

/*
 * The audit events of the authorization server. Each is a plain JSON object: written as one
 * log line and emitted through @nestjs/event-emitter as `<eventPrefix><type>`. They carry
 * identifiers and decisions only, never a credential: no token, code, client secret,
 * password, assertion, cookie, state, nonce or PKCE verifier. Member names are snake_case,
 * like the OAuth parameters they mirror, so a SIEM can index them as they are.
 */

/**
 * Who caused an event: the OAuth client, the signed-in person, the server itself (a rule it
 * enforces, e.g. refresh-token reuse), or an upstream identity provider.
 * @publicApi
 */
export type McpAuthAuditActor = 'client' | 'user' | 'system' | 'upstream';

/**
 * Members every audit event has.
 * @publicApi
 */
export interface McpAuthAuditEventBase {
  /** What happened, e.g. `token.issued`. */
  type: string;
  /** Issuer of the module instance the event happened in. */
  issuer: string;
  /** When, as an ISO 8601 UTC timestamp. */
  at: string;
}

/**
 * Facts of a client record worth auditing (its metadata minus anything secret).
 * @publicApi
 */
export interface McpAuthAuditClientFacts {
  client_id: string;
  source: ClientSource;
  client_name: string | null;
  redirect_uris: string[];
  grant_types: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
}

/**
 * A client was registered: through `/register` (`source: 'dynamic'`) or, at boot, a
 * pre-registered client that was not in the database yet (`'static'`).
 * @publicApi
 */
export interface ClientRegisteredAuditEvent extends McpAuthAuditEventBase, McpAuthAuditClientFacts {
  type: 'client.registered';
  /** Address of the registering request; only with `audit.includeClientAddress`. */
  ip?: string;
}

/**
 * A pre-registered client changed in the options and was rewritten at boot (an unchanged one
 * raises nothing).
 * @publicApi
 */
export interface ClientUpdatedAuditEvent extends McpAuthAuditEventBase, McpAuthAuditClientFacts {
  type: 'client.updated';
}

/**
 * A client was deleted, with its consents and pending codes; its grants were revoked.
 * @publicApi
 */
export interface ClientDeletedAuditEvent extends McpAuthAuditEventBase {
  type: 'client.deleted';
  client_id: string;
  source: ClientSource;
  actor: McpAuthAuditActor;
  /** `removed_from_configuration`: a pre-registered client no longer in the options. */
  reason: 'removed_from_configuration';
}

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

/**
 * Members of every administration event: who called the administration API (the subject of
 * the operator's token, its client id, or what the host's guard put on the request).
 * @publicApi
 */
export interface McpAuthAdministrationEventBase extends McpAuthAuditEventBase {
  administrator: string;
}

/**
 * An operator deleted a client through the administration API; its grants were revoked.
 * @publicApi
 */
export interface AdminClientDeletedAuditEvent extends McpAuthAdministrationEventBase {
  type: 'admin.client_deleted';
  client_id: string;
  source: ClientSource;
}

/**
 * An operator revoked grants: one by id, or every live grant of a subject and/or a client.
 * @publicApi
 */
export interface AdminGrantRevokedAuditEvent extends McpAuthAdministrationEventBase {
  type: 'admin.grant_revoked';
  /** How many grants this call revoked (0 when none was live). */
  revoked_count: number;
  /** The grants this call revoked, the first 100 of a bulk revocation. */
  grant_ids: string[];
  /** The filter of a bulk revocation. */
  subject?: string;
  client_id?: string;
}

/**
 * An operator rotated the signing key; the retired keys keep verifying until the tokens they
 * signed have expired.
 * @publicApi
 */
export interface AdminSigningKeyRotatedAuditEvent extends McpAuthAdministrationEventBase {
  type: 'admin.signing_key_rotated';
  kid: string;
  retired_kids: string[];
}

/**
 * Every audit event, told apart by `type`.
 * @publicApi
 */
export type McpAuthAuditEvent =
  | ClientRegisteredAuditEvent
  | ClientUpdatedAuditEvent
  | ClientDeletedAuditEvent
  | ConsentGrantedAuditEvent
  | ConsentDeniedAuditEvent
  | SignInSucceededAuditEvent
  | SignInFailedAuditEvent
  | CodeIssuedAuditEvent
  | CodeReplayedAuditEvent
  | TokenIssuedAuditEvent
  | TokenRefreshedAuditEvent
  | RefreshTokenReusedAuditEvent
  | GrantRevokedAuditEvent
  | TokenRevokedAuditEvent
  | SigningKeyCreatedAuditEvent
  | SigningKeyRotatedAuditEvent
  | RateLimitExceededAuditEvent
  | AdminClientDeletedAuditEvent
  | AdminGrantRevokedAuditEvent
  | AdminSigningKeyRotatedAuditEvent;

/** @publicApi */
export type McpAuthAuditEventType = McpAuthAuditEvent['type'];

/**
 * The event of one type, e.g. for a listener:
 * `@OnEvent('mcp-auth.token.issued') onIssued(event: McpAuthAuditEventOf<'token.issued'>)`.
 * @publicApi
 */
export type McpAuthAuditEventOf<T extends McpAuthAuditEventType> = Extract<
  McpAuthAuditEvent,
  { type: T }
>;

/**
 * An event as `McpAuthAudit.emit` takes it: `issuer` and `at` are filled in.
 * @publicApi
 */
export type NewMcpAuthAuditEvent = McpAuthAuditEvent extends infer E
  ? E extends McpAuthAuditEvent
    ? Omit<E, 'issuer' | 'at'>
    : never
  : never;
