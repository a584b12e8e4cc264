import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { computeS256Challenge } from './support/pkce';
import type { NewClient } from '@app/mcp-auth';
import { createClients, publicClient } from './support/authorization-fixtures';
import { launchChromium } from './support/chromium';
import { createTestApp, type TestApp } from './support/test-app';

/** 300 characters and not one break opportunity: the worst a client_name can do. */
const LONG_NAME = 'Supercalifragilistic'.repeat(15);
const LONG_REDIRECT =
  'https://a-rather-long-subdomain-name-for-layout-tests.example.com/oauth2/callback/' +
  `${'segment-'.repeat(25)}/${'x'.repeat(150)}/done?tenant=${'t'.repeat(40)}`;
const SCOPES = ['mcp:tools', 'mcp:resources', 'offline_access'];
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 375, height: 667 },
];

interface Layout {
  scrollWidth: number;
  innerWidth: number;
  cardRight: number;
  cardMaxWidth: string;
  scopes: { text: string; lines: number }[];
}

/**
 * What a person would see overflow: the page's scroll width, the card, each scope name's
 * lines. Runs in the page (a string: this project compiles without the DOM typings).
 */
const MEASURE = `(() => {
  const card = document.querySelector('main');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    cardRight: card.getBoundingClientRect().right,
    cardMaxWidth: getComputedStyle(card).maxWidth,
    // An inline element split over two lines has two client rects.
    scopes: [...document.querySelectorAll('code.scope')].map((code) => ({
      text: code.textContent,
      lines: code.getClientRects().length,
    })),
  };
})()`;

function measure(page: Page): Promise<Layout> {
  return page.evaluate<Layout>(MEASURE);
}

describe('consent page layout in Chromium (AS-17)', () => {
  let t: TestApp;
  let browser: Browser;
  let callback: Server;
  let callbackPort: number;

  beforeAll(async () => {
    [t, browser] = await Promise.all([createTestApp(), launchChromium()]);
    // The client's loopback redirect target, so Chromium lands on a real page.
    callback = createServer((_request, response) => response.end('client got the code'));
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    callbackPort = (callback.address() as AddressInfo).port;
    const base: NewClient = {
      ...publicClient('layout-client'),
      redirectUris: [LONG_REDIRECT],
      applicationType: 'web',
      clientName: LONG_NAME,
    };
    await createClients(t, [base, publicClient('loopback-client')]);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => callback?.close(resolve));
    await t?.close();
  });

  function authorizeUrl(clientId: string, redirectUri: string): string {
    const url = new URL(`${t.url}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: computeS256Challenge('l'.repeat(43)),
      code_challenge_method: 'S256',
      scope: SCOPES.join(' '),
      state: 'layout',
    }).toString();
    return url.toString();
  }

  /** Opens the authorization in a fresh page and signs in; returns the page on the consent form. */
  async function consentPage(clientId: string, redirectUri: string, cspErrors: string[]) {
    const page = await browser.newPage({ viewport: VIEWPORTS[0] });
    page.on('console', (message) => {
      if (message.type() === 'error') cspErrors.push(message.text());
    });
    await page.goto(authorizeUrl(clientId, redirectUri));
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password');
    await Promise.all([
      page.waitForURL(/\/interaction\/[^/]+$/),
      page.click('button[type=submit]'),
    ]);
    await page.waitForSelector('button[value=approve]');
    return page;
  }

  it('a 300-character client name and a long redirect URL stay inside the card at 1280 px and 375 px; scope names are never split', async () => {
    const errors: string[] = [];
    const page = await consentPage('layout-client', LONG_REDIRECT, errors);
    try {
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        const layout = await measure(page);
        // The stylesheet applied (its CSP hash matched), so this measures the real design.
        expect(layout.cardMaxWidth).toBe('416px');
        expect(layout.scrollWidth).toBeLessThanOrEqual(viewport.width);
        expect(layout.cardRight).toBeLessThanOrEqual(viewport.width);
        expect(layout.scopes).toEqual(SCOPES.map((text) => ({ text, lines: 1 })));
      }
      // Every narrow width a phone may have: no overflow, no scope name broken across lines.
      for (let width = 320; width <= 480; width += 8) {
        await page.setViewportSize({ width, height: 700 });
        const layout = await measure(page);
        expect({ width, scrollWidth: Math.min(layout.scrollWidth, width) }).toEqual({
          width,
          scrollWidth: layout.scrollWidth,
        });
        expect(layout.scopes.every((scope) => scope.lines === 1)).toBe(true);
      }
      expect(await page.textContent('h1')).toBe(`Authorize ${LONG_NAME}`);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('the sign-in page with the same client fits a 375 px screen too', async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS[1] });
    try {
      await page.goto(authorizeUrl('layout-client', LONG_REDIRECT));
      await page.waitForSelector('#password');
      const layout = await measure(page);
      expect(layout.scrollWidth).toBeLessThanOrEqual(375);
    } finally {
      await page.close();
    }
  });

  it('Back after Approve shows "Already answered", not "expired"', async () => {
    const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
    const page = await consentPage('loopback-client', redirectUri, []);
    try {
      await Promise.all([
        page.waitForURL((url) => url.port === String(callbackPort)),
        page.click('button[value=approve]'),
      ]);
      expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
      await page.goBack();
      expect(await page.textContent('h1')).toBe('Already answered');
    } finally {
      await page.close();
    }
  });
});
