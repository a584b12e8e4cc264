/**
 * A small headless "browser" for tests: keeps cookies, follows redirects on the server's own
 * origin, submits the login and consent forms the way a person would, and stops when the
 * server sends it to the client's redirect URI.
 */
export class TestBrowser {
  private readonly cookies = new Map<string, string>();
  /** The pages the last {@link authorize} went through, in order. */
  lastPages: ('login' | 'consent')[] = [];

  constructor(private readonly origin: string) {}

  /** Cookie header for the next request. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  clearCookies(): void {
    this.cookies.clear();
  }

  /** The value of one cookie the server set (or the test planted). */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Plants a cookie, as a site sharing the parent domain or a network attacker could. */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (new URL(url).origin === this.origin && this.cookies.size) {
      headers.cookie = this.cookieHeader();
    }
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair.indexOf('=');
      this.cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    return response;
  }

  /**
   * Follows same-origin redirects from `url`; returns the first response that is not one,
   * or the first redirect that leaves the origin (its Location is in `location`).
   */
  async navigate(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ response: Response; url: string; location?: string; html?: string }> {
    let response = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { response, url: current, html: await response.text() };
      }
      const next = new URL(location, current).toString();
      if (!next.startsWith(`${this.origin}/`)) {
        return { response, url: current, location: next };
      }
      current = next;
      response = await this.request(current);
    }
    throw new Error('too many redirects');
  }

  /**
   * Plays the person: from an authorization URL, signs in (if asked) and answers the consent
   * page (if shown). Returns the client redirect the server ends on.
   */
  async authorize(
    authorizationUrl: string,
    options: { username?: string; password?: string; decision?: 'approve' | 'deny' } = {},
  ): Promise<URL> {
    this.lastPages = [];
    let step = await this.navigate(authorizationUrl);
    for (let pages = 0; pages < 4 && !step.location; pages++) {
      const html = step.html ?? '';
      const form = parseForm(html);
      if (!form) {
        throw new Error(`no form on page (status ${step.response.status}): ${html.slice(0, 400)}`);
      }
      const action = new URL(form.action, step.url).toString();
      if (form.fields.includes('password')) {
        this.lastPages.push('login');
        step = await this.navigate(action, {
          form: {
            csrf: form.csrf,
            username: options.username ?? 'alice',
            password: options.password ?? 'alice-password',
          },
        });
      } else {
        this.lastPages.push('consent');
        step = await this.navigate(action, {
          form: { csrf: form.csrf, decision: options.decision ?? 'approve' },
        });
      }
    }
    if (!step.location) throw new Error(`the server never redirected to the client`);
    return new URL(step.location);
  }
}

/** The first form of a page: its action, CSRF token and field names. */
export function parseForm(
  html: string,
): { action: string; csrf: string; fields: string[] } | undefined {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) return undefined;
  const csrf = /name="csrf" value="([^"]*)"/.exec(form[2])?.[1] ?? '';
  const fields = [...form[2].matchAll(/name="([^"]+)"/g)].map((m) => m[1]);
  return { action: decodeEntities(form[1]), csrf: decodeEntities(csrf), fields };
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
