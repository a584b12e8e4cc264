import { Controller, Header, HttpCode, Options, Post, Req, Res, UseFilters } from '@nestjs/common';
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
import { RefreshTokenGrant } from './refresh-token.grant';
import type { TokenGrant } from './token-grant.interface';
import type { TokenResponse } from './token-response.interface';

const METHODS = ['POST', 'OPTIONS'] as const;

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
    // Before anything can fail, so a browser client can read the error too.
    setPublicCorsHeaders(response, METHODS);
    const params = FormParameters.fromRequest(request);
    const grantType = params.require('grant_type');
    const grant = this.grants.get(grantType);
    if (!grant) {
      throw OAuthError.unsupportedGrantType('The grant_type is not supported.');
    }
    // AS-20: who is asking, before anything is looked up or consumed on their behalf.
    const { client } = await this.authenticator.authenticate(request.headers.authorization, params);
    if (!client.grantTypes.includes(grantType)) {
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
