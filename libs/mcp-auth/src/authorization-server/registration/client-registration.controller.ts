import { Body, Controller, HttpCode, Options, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from '../../http/http-exchange';
import { isJsonRequest, setHeader } from '../../http/http-exchange';
import { ENDPOINT_PATHS } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { OAuthExceptionFilter } from '../../http/oauth-exception.filter';
import { setPublicCorsHeaders } from '../../http/cors-headers';
import { AllowedMethods } from '../../http/allowed-methods.decorator';
import type { ClientInformationResponse } from './client-metadata.interface';
import { ClientRegistrationService } from './client-registration.service';

const METHODS = ['POST', 'OPTIONS'] as const;

/**
 * `POST {prefix}/register`: RFC 7591 dynamic client registration (AS-9). Mount with base
 * 'prefixed'.
 *
 * The controller is always mounted (with `forRootAsync` the options are unknown when the
 * module's controllers are listed), so with `registration.enabled: false` every method answers
 * a 404 in OAuth error shape, as if the route did not exist; the metadata then omits
 * `registration_endpoint`.
 *
 * CORS allows any origin: browser clients (MCP Inspector) register from their own origin, and
 * the endpoint reads no cookies, so there is nothing an origin could abuse (AS-8).
 */
@Controller()
@AllowedMethods(ENDPOINT_PATHS.registration, METHODS, {
  cors: true,
  before: (controller: ClientRegistrationController) => controller.assertEnabled(),
})
@UseFilters(OAuthExceptionFilter)
export class ClientRegistrationController {
  constructor(private readonly registration: ClientRegistrationService) {}

  @Post(ENDPOINT_PATHS.registration)
  @HttpCode(201)
  async register(
    @Body() body: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<ClientInformationResponse> {
    this.assertEnabled();
    // Before anything can fail, so a browser client can read the error too.
    setPublicCorsHeaders(response, METHODS);
    // RFC 7591 §3.1: the request is JSON. A form or text body is the wrong request, not bad
    // metadata, so it gets invalid_request, the same code a malformed JSON body gets.
    if (!isJsonRequest(request)) {
      throw OAuthError.invalidRequest('The request body must be a JSON object (application/json).');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw OAuthError.invalidRequest('The request body must be a JSON object.');
    }
    // RFC 7591 §3.2.1: the response may carry a client secret.
    setHeader(response, 'Cache-Control', 'no-store');
    setHeader(response, 'Pragma', 'no-cache');
    return this.registration.register(body, { ip: request.ip });
  }

  /** CORS preflight (browser clients send Content-Type: application/json and MCP-Protocol-Version). */
  @Options(ENDPOINT_PATHS.registration)
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) response: HttpResponse): void {
    this.assertEnabled();
    setPublicCorsHeaders(response, METHODS);
  }

  /** 404 while dynamic registration is turned off. */
  assertEnabled(): void {
    if (!this.registration.enabled) {
      throw new OAuthError('invalid_request', 'The requested endpoint does not exist.', {
        status: 404,
      });
    }
  }
}
