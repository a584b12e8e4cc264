import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import { MCP_AUTH_SCHEMA_READY } from '../../mcp-auth.constants';
import type { StaticClientOptions } from './registration-options';
import { OAuthError } from '../../oauth/oauth-error';
import {
  InjectClientStore,
  type ClientStore,
  type NewClient,
} from '../../storage/client-store.interface';
import { hashSecret } from '../../tokens/secret-hash';
import { SUPPORTED_GRANT_TYPES } from './client-metadata.interface';
import { auditedClient, sameClient, toNewClient } from './client-record.mapper';
import { DEFAULT_GRANT_TYPES, validateClientMetadata } from './validate-client-metadata';

/** RFC 6749 Appendix A.1: client_id = *VSCHAR. */
const CLIENT_ID = /^[\x20-\x7e]{1,255}$/;

/**
 * Writes the pre-registered clients of the module options (`clients`) to the client store at
 * every boot (AS-12), so a changed secret or redirect URI takes effect on restart.
 *
 * Each client passes the same metadata rules as a dynamic registration (AS-14 redirect URIs,
 * supported grant types and scopes); one that does not fails the boot with a message naming
 * it, before any client is written. Defaults: `token_endpoint_auth_method` is
 * `client_secret_basic` with a secret, `none` without; `grant_types` both.
 */
@Injectable()
export class StaticClientsLoader implements OnModuleInit {
  private readonly logger = new Logger(StaticClientsLoader.name);

  constructor(
    private readonly config: McpAuthConfig,
    @InjectClientStore() private readonly clients: ClientStore,
    // Resolved once migrations ran (with `migrationsRun`), so the clients table exists.
    @Inject(MCP_AUTH_SCHEMA_READY) _schemaReady: true,
    private readonly audit: McpAuthAudit,
  ) {}

  async onModuleInit(): Promise<void> {
    const records = this.config.clients.map((client, index) => this.toRecord(client, index));
    for (const record of records) {
      const before = await this.clients.findById(record.clientId);
      const stored = await this.clients.upsert(record);
      if (!before || !sameClient(before, stored)) {
        const type = before ? 'client.updated' : 'client.registered';
        this.audit.emit({ type, ...auditedClient(stored) });
      }
    }
    if (records.length > 0) {
      this.logger.log(`Loaded ${records.length} pre-registered client(s)`);
    }
    // A client removed from the configuration must stop working, not linger in the database.
    const removed = await this.clients.pruneStatic(records.map((record) => record.clientId));
    if (removed.length > 0) {
      this.logger.log(`Removed ${removed.length} pre-registered client(s) no longer configured`);
    }
    for (const clientId of removed) {
      this.audit.emit({
        type: 'client.deleted',
        client_id: clientId,
        source: 'static',
        actor: 'system',
        reason: 'removed_from_configuration',
      });
    }
  }

  private toRecord(client: StaticClientOptions, index: number): NewClient {
    const where = `clients[${index}]`;
    if (typeof client.client_id !== 'string' || !CLIENT_ID.test(client.client_id)) {
      throw new Error(`mcp-auth: ${where}.client_id must be 1 to 255 printable ASCII characters`);
    }
    const name = `${where} ("${client.client_id}")`;
    const method =
      client.token_endpoint_auth_method ??
      (client.client_secret === undefined ? 'none' : 'client_secret_basic');
    if (method.startsWith('client_secret') && typeof client.client_secret !== 'string') {
      throw new Error(`mcp-auth: ${name} uses ${method} but has no client_secret`);
    }
    if (!method.startsWith('client_secret') && client.client_secret !== undefined) {
      throw new Error(`mcp-auth: ${name} uses ${method} but has a client_secret`);
    }
    try {
      const metadata = validateClientMetadata(
        {
          // A machine-only client may list none.
          redirect_uris: client.redirect_uris?.length ? client.redirect_uris : undefined,
          token_endpoint_auth_method: method,
          grant_types: client.grant_types ?? DEFAULT_GRANT_TYPES,
          application_type: client.application_type,
          client_name: client.client_name,
          scope: client.scope,
          jwks: client.jwks,
          jwks_uri: client.jwks_uri,
        },
        // The operator's own clients may use every grant the token endpoint implements.
        { scopesSupported: this.config.staticClientScopes, grantTypes: SUPPORTED_GRANT_TYPES },
      );
      const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post';
      return toNewClient(metadata, {
        clientId: client.client_id,
        clientSecretHash: usesSecret ? hashSecret(client.client_secret as string) : null,
        clientSecretExpiresAt: null,
        source: 'static',
      });
    } catch (error) {
      if (error instanceof OAuthError) {
        throw new Error(`mcp-auth: ${name} is invalid: ${error.description ?? error.error}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}
