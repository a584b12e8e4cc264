import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { OAuthExceptionFilter } from '../../http/oauth-exception.filter';
import { sendResponse, type HttpResponse } from '../../http/http-exchange';
import { PAGE_HEADERS, renderErrorPage } from '../../http/page';

const PAGE_TITLES: Record<number, string> = {
  400: 'Invalid request',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request too large',
  415: 'Unsupported request',
  429: 'Too many requests',
  503: 'Temporarily unavailable',
};

/**
 * Errors of the browser-facing endpoints (`/authorize`, the login and consent pages) as an
 * HTML page: a browser is on them, and before the client's redirect URI is validated nothing
 * may be redirected (AS-14). The status mapping is the JSON endpoints' (it never echoes the
 * request and never logs a body-parser error's raw body).
 */
@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  private readonly oauth = new OAuthExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    this.send(exception, host.switchToHttp().getResponse<HttpResponse>());
  }

  send(exception: unknown, response: HttpResponse): void {
    // An answered request (the rate-limit page, say) is only finished by sendResponse.
    const { status, body, headers } = this.oauth.toResponse(exception);
    const title =
      PAGE_TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused');
    const message =
      status >= 500 && status !== 503
        ? 'The request could not be processed.'
        : (body.error_description ?? 'The request could not be processed.');
    sendResponse(
      response,
      status,
      { ...PAGE_HEADERS, ...headers },
      renderErrorPage(title, message),
    );
  }
}
