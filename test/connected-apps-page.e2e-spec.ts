import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { GrantStore, type GrantStore as GrantStoreContract } from '@app/mcp-auth';
import { createClients, publicClient } from './support/authorization-fixtures';
import { launchChromium } from './support/chromium';
import { createTestApp, type TestApp } from './support/test-app';

const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'screenshots', 'connected-apps');
/** No break opportunity in 200 characters: the worst a client_name can do to the layout. */
const LONG_NAME = 'Supercalifragilistic'.repeat(10);
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'mobile', width: 375, height: 667 },
];

/** Page width against the viewport: nothing may scroll sideways. */
const OVERFLOW = `(() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
}))()`;

describe('connected apps page in Chromium', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [t, browser] = await Promise.all([createTestApp(), launchChromium()]);
    await createClients(t, [
      { ...publicClient('notes-app'), clientName: 'Notes assistant' },
      { ...publicClient('long-app'), clientName: LONG_NAME },
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function seedGrants(): Promise<void> {
    const grants = t.app.get<symbol, GrantStoreContract>(GrantStore);
    for (const clientId of ['notes-app', 'long-app']) {
      await grants.createGrant({
        clientId,
        subject: 'user-alice',
        scopes: ['mcp:tools', 'mcp:resources'],
        resource: `${t.url}/mcp`,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
    }
  }

  it.each(VIEWPORTS)(
    'signs in, lists, revokes one app and shows the updated list ($name)',
    async ({ name, width, height }) => {
      await seedGrants();
      const context = await browser.newContext({ viewport: { width, height } });
      try {
        const page = await context.newPage();
        await page.goto(`${t.url}/connected-apps`);
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-1-sign-in.png`), fullPage: true });
        await page.fill('#username', 'alice');
        await page.fill('#password', 'alice-password');
        // Same URL before and after (post, then 303 back): wait for the list itself.
        await page.click('button[type=submit]');
        await page.waitForSelector('text=Signed in to');

        const apps = page.locator('section');
        await expect(apps.count()).resolves.toBe(2);
        const text = await page.textContent('main');
        expect(text).toContain('Notes assistant');
        expect(text).toContain('Call tools');
        expect(text).toContain('Signed in to');
        expect(await page.evaluate(OVERFLOW)).toEqual({ scrollWidth: width, innerWidth: width });
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-2-list.png`), fullPage: true });

        await Promise.all([
          page.waitForURL(`${t.url}/connected-apps?revoked=1`),
          page.click('button[aria-label="Revoke Notes assistant"]'),
        ]);
        await expect(page.locator('[role=status]').textContent()).resolves.toBe('Access revoked.');
        await expect(apps.count()).resolves.toBe(1);
        expect(await page.textContent('main')).not.toContain('Notes assistant');
        expect(await page.evaluate(OVERFLOW)).toEqual({ scrollWidth: width, innerWidth: width });
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-3-revoked.png`), fullPage: true });

        // Leaves the long-named app for the next viewport's run to start clean.
        await page.click(`button[aria-label="Revoke ${LONG_NAME}"]`);
        await page.waitForSelector('text=No application can act on your behalf.');
        expect(await page.textContent('main')).toContain('No application can act on your behalf.');
      } finally {
        await context.close();
      }
    },
  );
});
