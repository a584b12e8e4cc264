import type { SignInFailedAuditEvent } from '../audit/audit-event';
import type { McpAuthAudit } from '../audit/audit.service';
import type {
  FederationStateRecord,
  FederationStateStore,
} from '../storage/federation-state-store.interface';
import { hashSecret } from '../tokens/secret-hash';
import type {
  FederatedIdentityDecision,
  FederatedIdentityHook,
  UpstreamIdentity,
} from './federation-options';
import {
  type UpstreamProvider,
  UpstreamRefusedError,
  UpstreamUnavailableError,
} from './upstream-provider';

/** How long the browser may take at the provider when signing in on the page. */
const PAGE_STATE_TTL_MS = 10 * 60 * 1000;

/** Signed in on the connected-apps page through a provider: the page's session to start. */
export interface FederatedPageUser {
  subject: string;
  displayName?: string;
}

/** What the callback of a page sign-in ends in. */
export type FederatedPageOutcome =
  | { kind: 'connected_apps'; user: FederatedPageUser }
  | { kind: 'page'; status: number; title: string; message: string };

/**
 * The connected-apps page's sign-in through an upstream provider: the same round trip as an
 * authorization (state bound to the browser, PKCE, nonce, every check of openid-client, the
 * `identity` hook), but it ends in the page's session for the mapped subject instead of a code.
 * Its states carry `purpose: 'connected_apps'` and no interaction, so they can finish no
 * authorization, and an authorization's state never signs in on the page. The provider's
 * tokens are dropped: the page needs the person, not access to their upstream account.
 */
export class FederatedPageSignIn {
  constructor(
    private readonly states: FederationStateStore,
    private readonly audit: McpAuthAudit,
    private readonly identityHook: FederatedIdentityHook | undefined,
  ) {}

  /** Records a state for this browser and returns the provider's authorization URL. */
  async start(provider: UpstreamProvider, browserBindingHash: string): Promise<URL> {
    const upstream = await provider.authorization();
    await this.states.create({
      stateHash: hashSecret(upstream.state),
      purpose: 'connected_apps',
      interactionIdHash: '',
      provider: provider.id,
      nonce: upstream.nonce,
      codeVerifier: upstream.codeVerifier,
      browserBindingHash,
      expiresAt: new Date(Date.now() + PAGE_STATE_TTL_MS),
    });
    return upstream.url;
  }

  /** The callback of a consumed page state (already checked: this browser, this provider). */
  async finish(
    provider: UpstreamProvider,
    currentUrl: URL,
    record: FederationStateRecord,
    state: string,
    ip: string | undefined,
  ): Promise<FederatedPageOutcome> {
    const who = {
      method: 'federation' as const,
      provider: provider.id,
      context: 'connected_apps' as const,
      ...this.audit.clientAddress(ip),
    };
    const failed = (reason: SignInFailedAuditEvent['reason']) =>
      this.audit.emit({ type: 'sign_in.failed', ...who, reason });
    let identity: UpstreamIdentity;
    try {
      // The tokens of the answer are not kept: nothing of the upstream account is stored.
      ({ identity } = await provider.signIn(currentUrl, {
        state,
        nonce: record.nonce,
        codeVerifier: record.codeVerifier,
      }));
    } catch (error) {
      const reason = failureReason(error);
      if (reason) failed(reason);
      return pageFailure(provider, error);
    }
    const decision = await decideIdentity(this.identityHook, identity);
    if (decision.action === 'refuse') {
      failed('identity_refused');
      return { kind: 'page', status: 403, title: 'Sign-in refused', message: decision.reason };
    }
    const subject = decision.subject ?? identity.subject;
    const displayName = decision.displayName ?? identity.displayName ?? undefined;
    this.audit.emit({ type: 'sign_in.succeeded', ...who, subject });
    return { kind: 'connected_apps', user: displayName ? { subject, displayName } : { subject } };
  }
}

function pageFailure(provider: UpstreamProvider, error: unknown): FederatedPageOutcome {
  if (error instanceof UpstreamUnavailableError) {
    return {
      kind: 'page',
      status: 503,
      title: 'Sign-in unavailable',
      message: `${provider.name} did not answer. Try again in a moment.`,
    };
  }
  if (error instanceof UpstreamRefusedError && error.error === 'access_denied') {
    return {
      kind: 'page',
      status: 403,
      title: 'Sign-in cancelled',
      message: `The sign-in at ${provider.name} was cancelled.`,
    };
  }
  if (error instanceof UpstreamRefusedError) {
    return {
      kind: 'page',
      status: 400,
      title: 'Sign-in failed',
      message: `The answer of ${provider.name} could not be verified. Start again from the connected apps page.`,
    };
  }
  throw error;
}

/** The host's `identity` hook's answer (accept when there is none), checked. */
export async function decideIdentity(
  hook: FederatedIdentityHook | undefined,
  identity: UpstreamIdentity,
): Promise<FederatedIdentityDecision> {
  if (!hook) return { action: 'accept' };
  const decision = await hook(identity);
  if (decision?.action === 'refuse') {
    return { action: 'refuse', reason: decision.reason || 'Your account may not sign in here.' };
  }
  if (decision?.action !== 'accept') {
    throw new Error('mcp-auth: federation.identity must answer accept or refuse');
  }
  return decision;
}

/** The audited reason of an upstream sign-in that threw; undefined for unexpected errors. */
export function failureReason(error: unknown): SignInFailedAuditEvent['reason'] | undefined {
  if (error instanceof UpstreamUnavailableError) return 'upstream_unavailable';
  if (!(error instanceof UpstreamRefusedError)) return undefined;
  return error.error === 'access_denied' ? 'upstream_denied' : 'upstream_refused';
}
