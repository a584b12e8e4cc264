import type {
  AdminClientDeletedAuditEvent,
  AdminGrantRevokedAuditEvent,
  AdminSigningKeyRotatedAuditEvent,
} from './administration-audit-events';
import type {
  CodeIssuedAuditEvent,
  CodeReplayedAuditEvent,
  ConsentDeniedAuditEvent,
  ConsentGrantedAuditEvent,
  SignInFailedAuditEvent,
  SignInSucceededAuditEvent,
} from './authorization-audit-events';
import type {
  ClientDeletedAuditEvent,
  ClientRegisteredAuditEvent,
  ClientUpdatedAuditEvent,
} from './client-audit-events';
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

export type * from './audit-event-base';
export type * from './client-audit-events';
export type * from './authorization-audit-events';
export type * from './token-audit-events';
export type * from './administration-audit-events';

/*
 * The audit events of the authorization server. Each is a plain JSON object: written as one
 * log line and emitted through @nestjs/event-emitter as `<eventPrefix><type>`. They carry
 * identifiers and decisions only, never a credential: no token, code, client secret,
 * password, assertion, cookie, state, nonce or PKCE verifier. Member names are snake_case,
 * like the OAuth parameters they mirror, so a SIEM can index them as they are.
 */

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
