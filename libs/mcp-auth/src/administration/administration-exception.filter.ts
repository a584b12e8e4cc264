import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { sendResponse, type HttpResponse } from '../http/http-exchange';
import { OAuthExceptionFilter } from '../http/oauth-exception.filter';
import { BearerChallengeException } from '../resource-server/bearer-challenge.exception';

/**
 * Errors of the administration API: the bearer guard's challenges as RFC 6750 answers (status,
 * `WWW-Authenticate`, `{ error, error_description }`), everything else as the module's OAuth
 * JSON endpoints answer it (RFC 6749 §5.2 bodies, no request data echoed).
 */
@Catch()
export class AdministrationExceptionFilter implements ExceptionFilter {
  private readonly oauth = new OAuthExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (exception instanceof BearerChallengeException) {
      sendResponse(
        response,
        exception.getStatus(),
        {
          ...exception.headers,
          'Content-Type': 'application/json; charset=utf-8',
          Pragma: 'no-cache',
        },
        JSON.stringify(exception.getResponse()),
      );
      return;
    }
    this.oauth.send(exception, response);
  }
}
