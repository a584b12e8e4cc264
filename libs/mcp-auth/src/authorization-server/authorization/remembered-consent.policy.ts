import type { McpAuthConfig } from '../../mcp-auth.config';
import type { PromptValue } from '../../oauth/prompt';
import { isSubset } from '../../oauth/scope';
import type { ConsentStore } from '../../storage/consent-store.interface';
import type { Rememberability } from './client-trust';

/** When a user's approval of a client is kept, and when a kept one spares asking again. */
export class RememberedConsentPolicy {
  constructor(
    private readonly config: Pick<McpAuthConfig, 'consent'>,
    private readonly consents: ConsentStore,
  ) {}

  /**
   * RFC 8252 §8.6: consent is remembered only for clients whose identity is proven, or, when
   * the operator relaxes that, for public clients too, except a metadata-document client whose
   * code can only go to loopback: a local program can claim any such document's URL (AS-17).
   */
  remembers(trust: Rememberability): boolean {
    if (trust === 'proven') return true;
    return trust === 'public' && this.config.consent.rememberForPublicClients;
  }

  /** Whether the user approved every one of `scopes` for this client before, and it counts. */
  async covers(
    clientId: string,
    trust: Rememberability,
    prompt: readonly PromptValue[],
    subject: string,
    scopes: string[],
  ): Promise<boolean> {
    if (prompt.includes('consent') || !this.remembers(trust)) return false;
    const consent = await this.consents.find(subject, clientId);
    return consent !== null && isSubset(scopes, consent.scopes);
  }

  /** Keeps the approval of `scopes` (added to what the user approved before). */
  async remember(subject: string, clientId: string, scopes: string[]): Promise<void> {
    await this.consents.remember(subject, clientId, scopes);
  }
}
