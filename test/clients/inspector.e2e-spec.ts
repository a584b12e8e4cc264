import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBrowser } from '../support/browser';
import { freePort } from '../support/test-app';
import { startChild, type RunningChild } from './support/child-process';
import {
  ensureNode22Tools,
  node22Environment,
  NODE22_TOOL_VERSIONS,
  type Node22Tools,
} from './support/node22-tools';
import { DEMO_SUBJECT, DEMO_USER, startSampleApp, type SampleApp } from './support/sample-app';

/**
 * Client proof 3: MCP Inspector v2's CLI (`mcp-inspector --cli --transport http`, pinned in
 * support/node22-tools.ts, on a Node 22 from the npm registry) completes the OAuth flow
 * headless against the sample server and lists tools; `--use-stored-auth` then refreshes.
 *
 * How it "opens the browser" headless: with MCP_AUTO_OPEN_ENABLED=true (no TTY here) it
 * prints `Please navigate to: <url>` on stderr and opens the URL through xdg-open, which runs
 * $BROWSER. BROWSER is a script of ours that records the URL; the test then plays the person
 * in TestBrowser and follows the redirect to Inspector's loopback callback listener.
 */

jest.setTimeout(600_000);

interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  scope?: string;
}

describe(`MCP Inspector ${NODE22_TOOL_VERSIONS.inspector} CLI against the sample server`, () => {
  let tools: Node22Tools;
  let sample: SampleApp;
  let work: string;
  let opened: string;
  let browser: string;

  beforeAll(async () => {
    tools = await ensureNode22Tools();
    sample = await startSampleApp();
    work = await mkdtemp(join(tmpdir(), 'mcp-inspector-'));
    await mkdir(join(work, 'home'));
    opened = join(work, 'opened-urls.txt');
    browser = join(work, 'browser.sh');
    await writeFile(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`);
    await chmod(browser, 0o755);
  });
  afterAll(async () => {
    await sample?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function openedUrls(): Promise<string[]> {
    return existsSync(opened) ? (await readFile(opened, 'utf8')).split('\n').filter(Boolean) : [];
  }

  /** Runs `mcp-inspector --cli` against the sample's /mcp with the given store and arguments. */
  async function inspector(
    store: 'memory' | 'file',
    args: string[],
  ): Promise<{ cli: RunningChild; callback: string }> {
    const callback = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const cli = startChild(
      tools.node,
      [
        tools.inspector,
        '--cli',
        '--transport',
        'http',
        '--server-url',
        sample.mcpUrl,
        '--callback-url',
        callback,
        '--format',
        'json',
        ...args,
      ],
      {
        env: node22Environment(tools, {
          MCP_AUTO_OPEN_ENABLED: 'true',
          MCP_INSPECTOR_SECRET_STORE: store,
          MCP_STORAGE_DIR: join(work, `store-${store}`),
          HOME: join(work, 'home'),
          BROWSER: browser,
        }),
        timeoutMs: 120_000,
      },
    );
    return { cli, callback };
  }

  /** Waits for Inspector to open the authorization URL, then signs in and consents. */
  async function completeOAuth(cli: RunningChild, callback: string): Promise<URL> {
    const before = (await openedUrls()).length;
    const [, printed] = await cli.waitFor(/Please navigate to: (\S+)/, 60_000);
    // The same URL reaches the "browser" ($BROWSER through xdg-open).
    for (let i = 0; i < 100 && (await openedUrls()).length === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await openedUrls()).slice(before)).toEqual([printed]);

    const url = new URL(printed);
    expect(url.origin + url.pathname).toBe(`${sample.issuer}/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(sample.mcpUrl);
    expect(url.searchParams.get('redirect_uri')).toBe(callback);

    const redirect = await new TestBrowser(sample.issuer).authorize(printed, {
      username: DEMO_USER.username,
      password: DEMO_USER.password,
    });
    expect(redirect.origin + redirect.pathname).toBe(callback);
    expect(redirect.searchParams.get('iss')).toBe(sample.issuer);
    const delivered = await fetch(redirect);
    expect(delivered.status).toBe(200);
    return url;
  }

  async function finished(cli: RunningChild): Promise<Record<string, unknown>> {
    const code = await cli.exited;
    if (code !== 0) {
      throw new Error(`inspector exited with ${code}\n${cli.stdout()}\n${cli.stderr()}`);
    }
    // --format json: one object, `{ "result": … }`.
    const { result } = JSON.parse(cli.stdout()) as { result: Record<string, unknown> };
    return result;
  }

  /** The tokens Inspector keeps in its file secret store. */
  async function storedTokens(): Promise<StoredTokens> {
    const file = JSON.parse(await readFile(join(work, 'store-file', 'secrets.json'), 'utf8')) as {
      secrets: Record<string, string>;
    };
    const entries = Object.entries(file.secrets).filter(([key]) => key.includes(':tokens:'));
    expect(entries).toHaveLength(1);
    return JSON.parse(entries[0][1]) as StoredTokens;
  }

  it('completes the OAuth flow headless (dynamic registration, PKCE, resource) and lists the tools', async () => {
    const { cli, callback } = await inspector('memory', ['--method', 'tools/list']);
    try {
      await completeOAuth(cli, callback);
      const result = await finished(cli);
      const names = (result.tools as { name: string }[]).map((tool) => tool.name).sort();
      expect(names).toEqual(['current_time', 'echo', 'server_stats', 'whoami']);
    } finally {
      await cli.stop();
    }
  });

  let firstRefreshToken: string | undefined;

  it('with a file secret store: signs in once and calls whoami as demo|demo', async () => {
    const { cli, callback } = await inspector('file', [
      '--method',
      'tools/call',
      '--tool-name',
      'whoami',
    ]);
    try {
      await completeOAuth(cli, callback);
      const result = await finished(cli);
      expect(result.structuredContent).toMatchObject({
        subject: DEMO_SUBJECT,
        resource: sample.mcpUrl,
      });
    } finally {
      await cli.stop();
    }
    firstRefreshToken = (await storedTokens()).refresh_token;
    expect(firstRefreshToken).toEqual(expect.any(String));
  });

  it('--use-stored-auth: no browser this time; it refreshes (the refresh token rotates) and calls the tool', async () => {
    const openedBefore = (await openedUrls()).length;
    const before = await storedTokens();
    const { cli } = await inspector('file', [
      '--use-stored-auth',
      '--method',
      'tools/call',
      '--tool-name',
      'echo',
      '--tool-arg',
      'text=stored',
    ]);
    try {
      const result = await finished(cli);
      expect(result.content).toEqual([{ type: 'text', text: 'stored' }]);
    } finally {
      await cli.stop();
    }
    expect(cli.stderr()).not.toContain('Please navigate to');
    expect(await openedUrls()).toHaveLength(openedBefore);

    const after = await storedTokens();
    expect(after.refresh_token).toEqual(expect.any(String));
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.access_token).not.toBe(before.access_token);
    // Rotation: the refresh token it used is dead now.
    const replay = await fetch(`${sample.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: firstRefreshToken as string,
        client_id: JSON.parse(Buffer.from(after.access_token.split('.')[1], 'base64url').toString())
          .client_id as string,
      }),
    });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
  });
});
