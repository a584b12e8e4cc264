import { domainToASCII } from 'node:url';
import type { TestApp } from '../support/test-app';
import {
  authorizeUrl,
  expectErrorPage,
  pkce,
  register,
  WEB_REDIRECT_URI,
  type Client,
} from './support/harness';
import { NO_CHANGE, scanForSecrets, useAttackBattery } from './support/attack-battery';

/**
 * Redirect URIs and other parameters at /authorize (AS-14): an untrusted redirect URI is never
 * redirected to and stores nothing; errors that may go to the client carry `iss` and never echo
 * a bad `state`.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: /authorize redirect URI attacks', () => {
  const battery = useAttackBattery();
  const { secrets, hostile, get, expectRedirectError } = battery;
  let t: TestApp;
  let publicClient: Client;
  let web: Client;
  beforeAll(() => {
    ({ t, publicClient, web } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('redirect URIs at /authorize (AS-14): never redirected to, nothing stored', () => {
    const homograph = 'https://\u0430pp.example.com/cb'; // Cyrillic "а"
    const untrusted: [string, () => Client, string][] = [
      ['an unregistered URI', () => web, 'https://evil.example/cb'],
      ['userinfo "@" to another host', () => web, 'https://app.example.com@evil.example/cb'],
      [
        'the registered host as userinfo',
        () => publicClient,
        'http://127.0.0.1:8976@evil.example/callback',
      ],
      [
        'a backslash before "@"',
        () => publicClient,
        'http://127.0.0.1:8976\\@evil.example/callback',
      ],
      ['backslash path traversal', () => web, 'https://app.example.com/cb\\..\\evil'],
      ['encoded slashes', () => web, 'https://app.example.com/cb%2F..%2Fevil'],
      [
        'an encoded slash in the authority',
        () => publicClient,
        'http://127.0.0.1:8976%2F@evil.example/callback',
      ],
      ['another port on a non-loopback host', () => web, 'https://app.example.com:8443/cb'],
      [
        'localhost for a 127.0.0.1 registration',
        () => publicClient,
        'http://localhost:8976/callback',
      ],
      ['[::1] for a 127.0.0.1 registration', () => publicClient, 'http://[::1]:8976/callback'],
      [
        'a loopback-looking subdomain',
        () => publicClient,
        'http://127.0.0.1.evil.example:8976/callback',
      ],
      ['an uppercase scheme', () => web, 'HTTPS://app.example.com/cb'],
      ['an uppercase host', () => web, 'https://APP.example.com/cb'],
      ['a trailing dot on the host', () => web, 'https://app.example.com./cb'],
      ['an IDN homograph host', () => web, homograph],
      [
        'the punycode of an IDN homograph',
        () => web,
        `https://${domainToASCII('\u0430pp.example.com')}/cb`,
      ],
      ['a dot-segment path', () => web, 'https://app.example.com/cb/../evil'],
      ['an extra path segment', () => web, 'https://app.example.com/cb/extra'],
      ['an added query', () => web, 'https://app.example.com/cb?next=https://evil.example'],
      ['a fragment', () => web, 'https://app.example.com/cb#frag'],
      [
        'a javascript: URI',
        () => web,
        'javascript:alert(document.domain)//https://app.example.com/cb',
      ],
      ['a data: URI', () => web, 'data:text/html,<script>alert(1)</script>'],
      ['a scheme-relative URI', () => web, '//evil.example/cb'],
      ['CRLF injection', () => web, 'https://app.example.com/cb\r\nLocation: https://evil.example'],
      ['http instead of https', () => web, 'http://app.example.com/cb'],
    ];
    for (const [label, client, redirectUri] of untrusted) {
      hostile(`${label}: 400 page`, async () => {
        const response = await get(
          authorizeUrl(t, client(), {
            redirect_uri: redirectUri,
            code_challenge: pkce().challenge,
          }),
        );
        expectErrorPage(response, 400);
        expect(response.headers.get('set-cookie')).toBeNull();
      });
    }

    hostile('a repeated redirect_uri: 400 page', async () => {
      const url = new URL(authorizeUrl(t, web, { code_challenge: pkce().challenge }));
      url.searchParams.append('redirect_uri', 'https://evil.example/cb');
      expectErrorPage(await get(url.toString()), 400);
    });
    hostile('an unknown client_id: 400 page', async () => {
      expectErrorPage(
        await get(
          authorizeUrl(
            t,
            { ...web, clientId: 'no-such-client' },
            { code_challenge: pkce().challenge },
          ),
        ),
        400,
      );
    });
    hostile('a NUL in client_id: 400 page, never a database error', async () => {
      expectErrorPage(
        await get(
          authorizeUrl(t, { ...web, clientId: 'abc\u0000' }, { code_challenge: pkce().challenge }),
        ),
        400,
      );
    });
    hostile('an oversized client_id: 400 page', async () => {
      expectErrorPage(
        await get(
          authorizeUrl(
            t,
            { ...web, clientId: 'c'.repeat(2000) },
            { code_challenge: pkce().challenge },
          ),
        ),
        400,
      );
    });
    hostile('control characters in state: invalid_request, state not echoed', async () => {
      expectRedirectError(
        await get(
          authorizeUrl(t, web, { state: 'a\u0000b\r\n', code_challenge: pkce().challenge }),
        ),
        WEB_REDIRECT_URI,
        'invalid_request',
        null,
      );
    });
    hostile('no client_id: 400 page', async () => {
      const url = new URL(authorizeUrl(t, web, { code_challenge: pkce().challenge }));
      url.searchParams.delete('client_id');
      expectErrorPage(await get(url.toString()), 400);
    });
    hostile('a repeated client_id: 400 page', async () => {
      const url = new URL(authorizeUrl(t, web, { code_challenge: pkce().challenge }));
      url.searchParams.append('client_id', publicClient.clientId);
      expectErrorPage(await get(url.toString()), 400);
    });
    hostile(
      'no redirect_uri when the client registered several: 400 page',
      async () => {
        const multi = await register(t, secrets, 'none', {
          redirect_uris: ['https://a.example.com/cb', 'https://b.example.com/cb'],
          application_type: 'web',
        });
        await t.db.dataSource.query('SELECT 1');
        const url = new URL(authorizeUrl(t, multi, { code_challenge: pkce().challenge }));
        url.searchParams.delete('redirect_uri');
        expectErrorPage(await get(url.toString()), 400);
        await t.db.dataSource.query(`DELETE FROM mcp_auth_clients WHERE client_id = $1`, [
          multi.clientId,
        ]);
      },
      NO_CHANGE,
    );

    hostile(
      'response_type=token is refused on the redirect URI (unsupported_response_type)',
      async () => {
        expectRedirectError(
          await get(
            authorizeUrl(t, web, { response_type: 'token', code_challenge: pkce().challenge }),
          ),
          WEB_REDIRECT_URI,
          'unsupported_response_type',
        );
      },
    );
    hostile('an unknown resource is invalid_target on the redirect URI', async () => {
      expectRedirectError(
        await get(
          authorizeUrl(t, web, {
            resource: 'https://evil.example/mcp',
            code_challenge: pkce().challenge,
          }),
        ),
        WEB_REDIRECT_URI,
        'invalid_target',
      );
    });
    hostile('an overlong state is refused without echoing it', async () => {
      expectRedirectError(
        await get(
          authorizeUrl(t, web, { state: 's'.repeat(3000), code_challenge: pkce().challenge }),
        ),
        WEB_REDIRECT_URI,
        'invalid_request',
        null,
      );
    });
  });

  scanForSecrets(battery, 36);
});
