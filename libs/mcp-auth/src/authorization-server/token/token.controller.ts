import {
  Controller,
  Header,
  HttpCode,
  Optional,
  Options,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { HttpRequest, HttpResponse } from '../../http/http-exchange';
import { ENDPOINT_PATHS } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { OAuthExceptionFilter } from '../../http/oauth-exception.filter';
import { ClientAuthenticator } from '../client-authentication/client-authenticator.service';
import { FormParameters } from '../client-authentication/form-parameters';
import { setPublicCorsHeaders } from '../../http/cors-headers';
import { AllowedMethods } from '../../http/allowed-methods.decorator';
import { AuthorizationCodeGrant } from './authorization-code.grant';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { JwtBearerGrant } from './jwt-bearer.grant';
import { ClientChangedError } from './client-changed.error';
import { RefreshTokenGrant } from './refresh-token.grant';
import type { TokenGrant } from './token-grant.interface';
import type { TokenResponse } from './token-response.interface';
import { McpAuthTelemetry, type TokenRequestFacts } from '../../telemetry/mcp-auth-telemetry';

const METHODS = ['POST', 'OPTIONS'] as const;
/** Grants whose statement confirms the authenticated client's row version (`ClientChangedError`). */
const CONFIRMING_GRANTS: ReadonlySet<string> = new Set(['authorization_code', 'refresh_token']);

/**
 * `POST {prefix}/token` (OAuth 2.1 §3.2). Mount with base 'prefixed'. No class-level path:
 * the module writes the route prefix onto each instance's subclass at boot.
 *
 * CORS allows any origin: browser clients (MCP Inspector) redeem codes from their own origin,
 * and the endpoint reads no cookies, so an origin has nothing to abuse (AS-8).
 */
@Controller()
@AllowedMethods(ENDPOINT_PATHS.token, METHODS, { cors: true })
@UseFilters(OAuthExceptionFilter)
export class TokenController {
  private readonly grants: ReadonlyMap<string, TokenGrant>;

  constructor(
    private readonly authenticator: ClientAuthenticator,
    authorizationCode: AuthorizationCodeGrant,
    refreshToken: RefreshTokenGrant,
    clientCredentials: ClientCredentialsGrant,
    jwtBearer: JwtBearerGrant,
    @Optional() private readonly telemetry: McpAuthTelemetry = McpAuthTelemetry.disabled,
  ) {
    this.grants = new Map<string, TokenGrant>(
      [authorizationCode, refreshToken, clientCredentials, jwtBearer].map((grant) => [
        grant.grantType,
        grant,
      ]),
    );
  }

  @Post(ENDPOINT_PATHS.token)
  @HttpCode(200)
  // AS-21: token responses must never be cached (RFC 6749 §5.1).
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async token(
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<TokenResponse> {
    // Span `mcp_auth.token`, counted and timed by grant type and outcome; never the tokens.
    return this.telemetry.tokenRequest((facts) => this.exchange(request, response, facts));
  }

  private async exchange(
    request: HttpRequest,
    response: HttpResponse,
    facts: TokenRequestFacts,
  ): Promise<TokenResponse> {
    // Before anything can fail, so a browser client can read the error too.
    setPublicCorsHeaders(response, METHODS);
    const params = FormParameters.fromRequest(request);
    const grantType = params.require('grant_type');
    const grant = this.grants.get(grantType);
    if (!grant) {
      facts.grantType = 'unsupported';
      throw OAuthError.unsupportedGrantType('The grant_type is not supported.');
    }
    facts.grantType = grant.grantType;
    // The code and refresh grants confirm the client's row version in their own statement, so
    // they may authenticate against a client read moments ago (no round trip for it).
    const reuseRecentClient = CONFIRMING_GRANTS.has(grant.grantType);
    try {
      return await this.authenticateAndExchange(request, params, grant, facts, reuseRecentClient);
    } catch (error) {
      if (!(error instanceof ClientChangedError)) throw error;
    }
    // The client changed since it was read, and nothing was consumed: read it again, once.
    try {
      return await this.authenticateAndExchange(request, params, grant, facts, false);
    } catch (error) {
      if (error instanceof ClientChangedError) {
        throw OAuthError.invalidClient('Client authentication failed.');
      }
      throw error;
    }
  }

  private async authenticateAndExchange(
    request: HttpRequest,
    params: FormParameters,
    grant: TokenGrant,
    facts: TokenRequestFacts,
    reuseRecentClient: boolean,
  ): Promise<TokenResponse> {
    // AS-20: who is asking, before anything is looked up or consumed on their behalf.
    const { client } = await this.authenticator.authenticate(
      request.headers.authorization,
      params,
      undefined,
      { reuseRecentClient },
    );
    facts.clientId = client.clientId;
    if (!client.grantTypes.includes(grant.grantType)) {
      throw OAuthError.unauthorizedClient('The client is not allowed to use this grant_type.');
    }
    return grant.exchange(client, params);
  }

  /** CORS preflight: confidential browser clients send `Authorization`. */
  @Options(ENDPOINT_PATHS.token)
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) response: HttpResponse): void {
    setPublicCorsHeaders(response, METHODS);
  }
}
