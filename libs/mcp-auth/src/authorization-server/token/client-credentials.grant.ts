import { Injectable } from '@nestjs/common';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { parseScope } from '../../oauth/scope';
import type { ClientRecord } from '../../storage/client-store.interface';
import { InjectGrantStore, type GrantStore } from '../../storage/grant-store.interface';
import type { FormParameters } from '../client-authentication/form-parameters';
import { machineScopes } from './machine-scopes';
import { readRequestedResource } from './requested-resource';
import type { TokenGrant } from './token-grant.interface';
import { auditedTokens, TokenIssuanceService } from './token-issuance.service';
import type { TokenResponse } from './token-response.interface';

/**
 * `grant_type=client_credentials` (OAuth 2.1 §4.2; the MCP OAuth Client Credentials
 * extension): a confidential client acting for itself. The token's subject is the client,
 * `gty: client_credentials` says so to resource servers (`McpPrincipal.machine`), its
 * audience is the requested resource (RFC 8707), and no refresh token is issued. A grant is
 * recorded, so the token can be revoked and administrators see it.
 */
@Injectable()
export class ClientCredentialsGrant implements TokenGrant {
  readonly grantType = 'client_credentials';

  constructor(
    private readonly config: McpAuthConfig,
    private readonly issuance: TokenIssuanceService,
    @InjectGrantStore() private readonly grants: GrantStore,
    private readonly audit: McpAuthAudit,
  ) {}

  async exchange(client: ClientRecord, params: FormParameters): Promise<TokenResponse> {
    // A public client proves nothing about who is asking (OAuth 2.1 §4.2).
    if (client.tokenEndpointAuthMethod === 'none') {
      throw OAuthError.unauthorizedClient('Only clients that authenticate may use this grant.');
    }
    const uri = readRequestedResource(params, this.config);
    const resource = uri ? this.config.findResource(uri)! : this.config.defaultResource;
    const scopes = machineScopes(parseScope(params.get('scope')), client, resource);
    const grant = await this.grants.createGrant({
      clientId: client.clientId,
      subject: client.clientId,
      scopes,
      resource: resource.uri,
      expiresAt: new Date(Date.now() + this.config.accessTokenTtl * 1000),
    });
    const subject = {
      grantId: grant.id,
      clientId: client.clientId,
      subject: client.clientId,
      scopes,
      resource: resource.uri,
    };
    const response = await this.issuance.respond(subject, undefined, {
      gty: 'client_credentials',
    });
    this.audit.emit({
      type: 'token.issued',
      grant_type: this.grantType,
      ...auditedTokens(subject),
      refresh_token: false,
    });
    return response;
  }
}
