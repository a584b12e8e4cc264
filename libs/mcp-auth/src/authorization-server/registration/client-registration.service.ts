import { Injectable, Logger } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import type { RegistrationDecision } from './registration-options';
import { OAuthError } from '../../oauth/oauth-error';
import { InjectClientStore, type ClientStore } from '../../storage/client-store.interface';
import { randomId, randomToken } from '../../tokens/random-token';
import { hashSecret } from '../../tokens/secret-hash';
import type { ClientInformationResponse, ClientMetadata } from './client-metadata.interface';
import { auditedClient, toNewClient } from './client-record.mapper';
import { validateClientMetadata, type ClientMetadataRules } from './validate-client-metadata';

/** Facts about the registration request a policy may use. */
export interface RegistrationContext {
  /** Client address as Express reports it (honours the app's `trust proxy` setting). */
  ip: string | undefined;
}

/**
 * RFC 7591 dynamic client registration (AS-9, AS-10): validates the metadata, lets the
 * configured policy accept, amend or reject it, then stores the client and returns its
 * credentials. A client secret exists in plain text only in the returned response.
 */
@Injectable()
export class ClientRegistrationService {
  private readonly logger = new Logger(ClientRegistrationService.name);
  private readonly rules: ClientMetadataRules;

  constructor(
    private readonly config: McpAuthConfig,
    @InjectClientStore() private readonly clients: ClientStore,
    private readonly audit: McpAuthAudit,
  ) {
    this.rules = { scopesSupported: config.scopesSupported };
  }

  /** Whether `/register` is served; when it is not, the controller answers 404. */
  get enabled(): boolean {
    return this.config.registration.enabled;
  }

  /**
   * @param body the parsed JSON request body
   * @throws OAuthError `invalid_redirect_uri` / `invalid_client_metadata` (400), or whatever
   *   error the policy chose
   */
  async register(body: unknown, context: RegistrationContext): Promise<ClientInformationResponse> {
    const requested = validateClientMetadata(body, this.rules);
    const metadata = await this.applyPolicy(requested, context);

    // Only the shared-secret methods get a secret: a private_key_jwt client proves itself with
    // its keys, and a secret it can never use could only leak.
    const usesSecret =
      metadata.token_endpoint_auth_method === 'client_secret_basic' ||
      metadata.token_endpoint_auth_method === 'client_secret_post';
    const secret = usesSecret ? randomToken() : undefined;
    const ttl = this.config.registration.clientSecretTtl;
    const secretExpiresAt =
      secret !== undefined && ttl > 0 ? new Date(Date.now() + ttl * 1000) : null;

    const record = await this.clients.create(
      toNewClient(metadata, {
        clientId: randomId(),
        clientSecretHash: secret === undefined ? null : hashSecret(secret),
        clientSecretExpiresAt: secretExpiresAt,
        source: 'dynamic',
      }),
    );
    this.audit.emit({
      type: 'client.registered',
      ...auditedClient(record),
      ...this.audit.clientAddress(context.ip),
    });

    // RFC 7591 §3.2.1: the metadata as registered (defaults applied, unknown members dropped).
    return {
      client_id: record.clientId,
      client_id_issued_at: epochSeconds(record.createdAt),
      ...(secret === undefined
        ? {}
        : {
            client_secret: secret,
            // AS-9: required whenever a secret is issued; 0 means it never expires.
            client_secret_expires_at: secretExpiresAt === null ? 0 : epochSeconds(secretExpiresAt),
          }),
      ...metadata,
    };
  }

  /**
   * Runs `registration.policy`. An `amend` merges its `metadata` over the validated metadata
   * (a member set to `undefined` is removed) and the result is validated again, so a policy
   * can never store what a client could not have registered. A policy may also throw an
   * `OAuthError` (e.g. `temporarilyUnavailable` to rate-limit); it is answered as thrown.
   */
  private async applyPolicy(
    metadata: ClientMetadata,
    context: RegistrationContext,
  ): Promise<ClientMetadata> {
    const policy = this.config.registration.policy;
    if (!policy) return metadata;

    // A frozen copy: the policy cannot change what is stored except through `amend`.
    const snapshot = deepFreeze(structuredClone<Record<string, unknown>>(metadata));
    const decision: unknown = await policy(snapshot, { ip: context.ip });
    if (!isDecision(decision)) {
      this.logger.error('registration.policy returned something other than a RegistrationDecision');
      throw OAuthError.serverError('The registration could not be processed.');
    }
    switch (decision.action) {
      case 'accept':
        return metadata;
      case 'reject':
        throw new OAuthError(
          decision.error === 'invalid_redirect_uri'
            ? 'invalid_redirect_uri'
            : 'invalid_client_metadata',
          typeof decision.description === 'string' && decision.description !== ''
            ? decision.description
            : 'The registration was refused.',
        );
      case 'amend':
        return this.validateAmendment({ ...metadata, ...decision.metadata });
    }
  }

  private validateAmendment(amended: Record<string, unknown>): ClientMetadata {
    const defined = Object.fromEntries(
      Object.entries(amended).filter(([, value]) => value !== undefined),
    );
    try {
      return validateClientMetadata(defined, this.rules);
    } catch (error) {
      // The operator's policy is at fault, not the client: a 500 that says nothing, logged here.
      const reason = error instanceof OAuthError ? error.message : String(error);
      this.logger.error(
        `registration.policy amended the metadata into invalid metadata: ${reason}`,
      );
      throw OAuthError.serverError('The registration could not be processed.');
    }
  }
}

function isDecision(value: unknown): value is RegistrationDecision {
  if (typeof value !== 'object' || value === null) return false;
  const { action, metadata } = value as Record<string, unknown>;
  if (action === 'accept' || action === 'reject') return true;
  return (
    action === 'amend' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata)
  );
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}
