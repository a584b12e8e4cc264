import type { McpAuthAudit } from '../audit/audit.service';
import type { McpAuthConfig } from '../mcp-auth.config';
import type { ClientRecord, ClientStore } from '../storage/client-store.interface';
import type { GrantRecord, GrantStore } from '../storage/grant-store.interface';
import type { ConnectedAppsUser } from './connected-apps-options';

/** One grant as the user sees it. */
export interface ConnectedApp {
  grantId: string;
  clientId: string;
  clientName: string;
  /** Metadata-document clients: the host of the client_id URL, which vouches for the name. */
  clientIdHost: string | null;
  /** Registered through `/register`: the name is the client's own claim. */
  registeredDynamically: boolean;
  scopes: { name: string; description: string }[];
  resource: string;
  resourceName: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ConnectedAppsPage {
  apps: ConnectedApp[];
  nextCursor: string | null;
}

/** Largest page the page and the API show. */
export const CONNECTED_APPS_PAGE_SIZE = 50;

/**
 * Lists and revokes the grants of one user. Ownership is the grant's subject: a grant of
 * anyone else is answered exactly as an unknown one.
 */
export class ConnectedAppsService {
  constructor(
    private readonly config: McpAuthConfig,
    private readonly grants: GrantStore,
    private readonly clients: ClientStore,
    private readonly audit: McpAuthAudit,
  ) {}

  async list(user: ConnectedAppsUser, limit: number, cursor?: string): Promise<ConnectedAppsPage> {
    const page = await this.grants.listGrants({
      subject: user.subject,
      status: 'active',
      limit,
      cursor,
    });
    const clients = new Map<string, Promise<ClientRecord | null>>();
    const apps = await Promise.all(
      page.grants
        // Machine grants (client credentials) are the client's own, not given by a person.
        .filter((grant) => grant.subject !== grant.clientId)
        .map(async (grant) => {
          let client = clients.get(grant.clientId);
          if (!client)
            clients.set(grant.clientId, (client = this.clients.findById(grant.clientId)));
          return this.describe(grant, await client);
        }),
    );
    return { apps, nextCursor: page.nextCursor };
  }

  /**
   * Revokes one of the user's grants. False when the id is unknown, not a grant id, another
   * user's, or already revoked: the caller answers all of them alike.
   */
  async revoke(user: ConnectedAppsUser, grantId: string): Promise<boolean> {
    const grant = await this.grants.findGrant(grantId);
    if (!grant || grant.subject !== user.subject || grant.revokedAt !== null) return false;
    await this.grants.revokeGrant(grant.id, 'revoked_by_owner');
    this.audit.emit({
      type: 'grant.revoked',
      grant_id: grant.id,
      client_id: grant.clientId,
      subject: user.subject,
      reason: 'revoked_by_owner',
      actor: 'user',
    });
    return true;
  }

  private describe(grant: GrantRecord, client: ClientRecord | null): ConnectedApp {
    const resource = this.config.findResource(grant.resource);
    return {
      grantId: grant.id,
      clientId: grant.clientId,
      clientName: client?.clientName || grant.clientId,
      clientIdHost: client?.source === 'metadata_document' ? hostOf(client.clientId) : null,
      registeredDynamically: client?.source === 'dynamic',
      scopes: grant.scopes.map((name) => ({
        name,
        description: this.config.scopes[name] ?? name,
      })),
      resource: grant.resource,
      resourceName: resource?.name ?? null,
      createdAt: grant.createdAt,
      lastUsedAt: grant.lastUsedAt,
    };
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
