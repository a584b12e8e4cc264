import { Controller, Header, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import type { HttpRequest } from '../../http/http-exchange';
import { ENDPOINT_PATHS, McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { OAuthExceptionFilter } from '../../http/oauth-exception.filter';
import { ClientAuthenticator } from '../client-authentication/client-authenticator.service';
import { FormParameters } from '../client-authentication/form-parameters';
import { AllowedMethods } from '../../http/allowed-methods.decorator';
import type { IntrospectionResponse } from './introspection-response.interface';
import { TokenIntrospectionService } from './token-introspection.service';

/** Longest `token` accepted: the access-token verifier's own bound. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * `POST {prefix}/introspect`: RFC 7662 introspection (AS-27), for the confidential clients
 * named in the `introspection.allowedClients` option only. Mount with base 'prefixed'. No CORS: its callers are resource servers, never
 * browsers.
 */
@Controller()
// Server-to-server: no CORS, and no preflight to answer.
@AllowedMethods(ENDPOINT_PATHS.introspection, ['POST'])
@UseFilters(OAuthExceptionFilter)
export class IntrospectionController {
  constructor(
    private readonly config: McpAuthConfig,
    private readonly authenticator: ClientAuthenticator,
    private readonly introspection: TokenIntrospectionService,
  ) {}

  @Post(ENDPOINT_PATHS.introspection)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async introspect(@Req() request: HttpRequest): Promise<IntrospectionResponse> {
    const params = FormParameters.fromRequest(request);
    const { client, method } = await this.authenticator.authenticate(
      request.headers.authorization,
      params,
      this.config.endpoints.introspection,
    );
    // RFC 7662 §2.1 / §4: the caller must prove who it is; a public client proves nothing.
    if (method === 'none') {
      throw OAuthError.invalidClient('Introspection requires a confidential client.');
    }
    // And be one the operator designated (a resource server): anyone may register a
    // confidential client, and introspection reveals a token's subject, client and scopes.
    // Refused before the token is read, so the answer says nothing about it.
    if (!this.config.introspectionClients.has(client.clientId)) {
      throw OAuthError.unauthorizedClient('This client may not introspect tokens.', {
        status: 403,
      });
    }
    const token = params.require('token', { maxLength: MAX_TOKEN_LENGTH });
    // Validated like any parameter, otherwise unused: the token's shape tells its kind.
    params.get('token_type_hint');
    return this.introspection.introspect(client, token);
  }
}
