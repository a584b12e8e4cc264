import type { HttpRequest } from '../http/http-exchange';
import { BrowserBinding } from '../authorization-server/authorization/browser-binding';
import { hashSecret } from '../tokens/secret-hash';
import type { ConnectedAppsUser, ResolvedConnectedAppsOptions } from './connected-apps-options';
import type { ConnectedAppsSessions } from './connected-apps-session';

const MAX_SUBJECT_LENGTH = 1024;

/** What a connected-apps form is for; each gets its own CSRF token. */
export type ConnectedAppsForm = 'login' | 'revoke' | 'logout';

/**
 * Who is asking and whether the request may change anything: the one place the page and the
 * API decide it, so both answer alike.
 */
export class ConnectedAppsRequests {
  private readonly origin: string;

  constructor(
    issuer: string,
    private readonly options: ResolvedConnectedAppsOptions,
    private readonly sessions: ConnectedAppsSessions,
    private readonly secureCookies: boolean,
  ) {
    this.origin = new URL(issuer).origin;
  }

  /** The signed-in user: the host's resolver, else the page's own session cookie. */
  async user(request: HttpRequest): Promise<ConnectedAppsUser | null> {
    if (this.options.signIn === 'built-in') return this.sessions.read(request);
    const resolved = await this.options.resolveUser?.(request);
    if (!resolved || typeof resolved !== 'object') return null;
    const { subject, displayName } = resolved;
    if (typeof subject !== 'string' || !subject || subject.length > MAX_SUBJECT_LENGTH) return null;
    return typeof displayName === 'string' && displayName ? { subject, displayName } : { subject };
  }

  /**
   * False for a request another site made the browser send: an `Origin` other than the
   * issuer's, or `Sec-Fetch-Site: cross-site`/`same-site`. Browsers that send neither header
   * are covered by the CSRF token or the custom header. `Origin: null` is refused too, except
   * for the page's own forms: the pages send `Referrer-Policy: no-referrer`, under which a
   * browser posts a same-origin form with `Origin: null` (their CSRF token still decides).
   */
  sameOrigin(request: HttpRequest, form = false): boolean {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.origin && !(form && origin === 'null')) {
      return false;
    }
    const site = request.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }

  /** The browser's binding cookie (set by `/authorize` too); CSRF tokens are keyed with it. */
  binding(request: HttpRequest): BrowserBinding {
    return BrowserBinding.fromRequest(request, this.secureCookies);
  }

  csrfToken(binding: BrowserBinding, form: ConnectedAppsForm, subject = ''): string {
    return binding.csrfToken(this.formHash(form, subject), 'consent');
  }

  checkCsrf(
    request: HttpRequest,
    presented: unknown,
    form: ConnectedAppsForm,
    subject = '',
  ): boolean {
    const binding = BrowserBinding.read(request, this.secureCookies);
    return (
      binding !== undefined && binding.checkCsrf(presented, this.formHash(form, subject), 'consent')
    );
  }

  /** Bound to the page, the form and the user, so a token never serves another purpose. */
  private formHash(form: ConnectedAppsForm, subject: string): string {
    return hashSecret(`mcp-auth:connected-apps:${this.options.path}:${form}:${subject}`);
  }
}
