/**
 * A small headless browser for flows that cross origins (our server, an upstream identity
 * provider): one cookie jar per origin, redirects followed everywhere until the browser is
 * sent to a URL the test names (the MCP client's redirect URI), and plain HTML forms.
 */
export interface BrowserPage {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

/** A form on a page: where it posts and its hidden fields. */
export interface PageForm {
  action: string;
  fields: Record<string, string>;
}

export class FederationBrowser {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every URL requested, in order. */
  readonly visited: string[] = [];

  constructor(
    /** Navigation stops (without requesting it) at a URL starting with this. */
    private readonly stopAt: string,
  ) {}

  /** Cookies of one origin. */
  cookies(origin: string): Map<string, string> {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new Map()));
    return jar;
  }

  /**
   * Requests `url` and follows redirects. Returns the page it ends on, or `{ stopped }` with
   * the URL when it is sent to the stop URL.
   */
  async go(
    url: string,
    form?: Record<string, string>,
  ): Promise<{ page: BrowserPage; stopped?: undefined } | { stopped: URL; page?: undefined }> {
    let next: string = url;
    let body = form;
    for (let hops = 0; hops < 20; hops++) {
      if (next.startsWith(this.stopAt)) return { stopped: new URL(next) };
      const response = await this.request(next, body);
      body = undefined;
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        next = new URL(location, next).toString();
        continue;
      }
      return {
        page: {
          url: next,
          status: response.status,
          html: await response.text(),
          headers: response.headers,
        },
      };
    }
    throw new Error('too many redirects');
  }

  private async request(url: string, form?: Record<string, string>): Promise<Response> {
    this.visited.push(url);
    const origin = new URL(url).origin;
    const jar = this.cookies(origin);
    const headers: Record<string, string> = {};
    if (jar.size) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }
}

/** Every form of a page with its action (absolute) and hidden fields, in page order. */
export function formsOf(page: BrowserPage): PageForm[] {
  const forms: PageForm[] = [];
  for (const match of page.html.matchAll(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of match[2].matchAll(/<input\b[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name && /type="hidden"/.test(input[0])) fields[name] = decodeEntities(value);
    }
    forms.push({ action: new URL(decodeEntities(match[1]), page.url).toString(), fields });
  }
  return forms;
}

/** The form posting to a URL containing `fragment`. */
export function formTo(page: BrowserPage, fragment: string): PageForm {
  const form = formsOf(page).find((f) => f.action.includes(fragment));
  if (!form)
    throw new Error(`no form posting to ${fragment} on ${page.url}: ${page.html.slice(0, 300)}`);
  return form;
}

function decodeEntities(value: string): string {
  return value
    .replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
}
