import { Controller, Header, HttpCode, Options, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from '../../http/http-exchange';
import { ENDPOINT_PATHS, McpAuthConfig } from '../../mcp-auth.config';
import { OAuthExceptionFilter } from '../../http/oauth-exception.filter';
import { ClientAuthenticator } from '../client-authentication/client-authenticator.service';
import { FormParameters } from '../client-authentication/form-parameters';
import { setPublicCorsHeaders } from '../../http/cors-headers';
import { AllowedMethods } from '../../http/allowed-methods.decorator';
import { MAX_TOKEN_LENGTH } from '../../oauth/token-length';
import { TokenRevocationService } from './token-revocation.service';

const METHODS = ['POST', 'OPTIONS'] as const;

/**
 * `POST {prefix}/revoke`: RFC 7009 revocation (AS-26). Mount with base 'prefixed'. CORS as at
 * the token endpoint: browser clients sign out from their own origin (AS-8).
 */
@Controller()
@AllowedMethods(ENDPOINT_PATHS.revocation, METHODS, { cors: true })
@UseFilters(OAuthExceptionFilter)
export class RevocationController {
  constructor(
    private readonly config: McpAuthConfig,
    private readonly authenticator: ClientAuthenticator,
    private readonly revocation: TokenRevocationService,
  ) {}

  @Post(ENDPOINT_PATHS.revocation)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async revoke(
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<void> {
    setPublicCorsHeaders(response, METHODS);
    const params = FormParameters.fromRequest(request);
    // RFC 7009 §2.1: the client authenticates as it does at the token endpoint (AS-20).
    const { client } = await this.authenticator.authenticate(
      request.headers.authorization,
      params,
      this.config.endpoints.revocation,
    );
    const token = params.require('token', { maxLength: MAX_TOKEN_LENGTH });
    // Read so that a repeated or structured hint is refused like any parameter; its value is
    // not needed (see TokenRevocationService), and unknown hints are ignored (RFC 7009 §2.1).
    params.get('token_type_hint');
    // RFC 7009 §2.2: 200 with an empty body, whether or not there was anything to revoke.
    await this.revocation.revoke(client, token);
  }

  @Options(ENDPOINT_PATHS.revocation)
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) response: HttpResponse): void {
    setPublicCorsHeaders(response, METHODS);
  }
}
