import type { TestApp } from '../support/test-app';
import { expectOAuthJson, http, WEB_REDIRECT_URI } from './support/harness';
import { scanForSecrets, useAttackBattery } from './support/attack-battery';

/**
 * Redirect URIs and other URIs at registration (AS-9, AS-14): dangerous schemes, userinfo,
 * non-canonical forms and oversized values are refused.
 *
 * Hostile requests against the real app on a real database; the frame, the clients and the
 * closing secret scans are in `support/attack-battery.ts`.
 */
describe('Security: registration redirect URI attacks', () => {
  const battery = useAttackBattery();
  const { hostile } = battery;
  let t: TestApp;
  beforeAll(() => {
    ({ t } = battery.fixtures());
  });

  // -------------------------------------------------------------------------------------------
  describe('redirect URIs at registration (AS-9, AS-14)', () => {
    for (const [label, uri, applicationType] of [
      ['javascript:', 'javascript:alert(1)', 'web'],
      ['javascript: for a native client', 'javascript:alert(1)', 'native'],
      ['data:', 'data:text/html,<script>alert(1)</script>', 'native'],
      ['vbscript:', 'vbscript:msgbox(1)', 'native'],
      ['file:', 'file:///etc/passwd', 'native'],
      ['a fragment', 'https://app.example.com/cb#frag', 'web'],
      ['http on a public host', 'http://evil.example/cb', 'web'],
      ['userinfo', 'https://user:pass@app.example.com/cb', 'web'],
      ['an uppercase scheme', 'HTTPS://app.example.com/cb', 'web'],
      ['an uppercase host', 'https://APP.example.com/cb', 'web'],
      ['a trailing dot', 'https://app.example.com./cb', 'web'],
      ['a raw IDN host', 'https://\u0430pp.example.com/cb', 'web'],
      ['a backslash', 'https://app.example.com\\@evil.example/cb', 'web'],
      ['a relative URI', '/cb', 'web'],
      ['dot segments', 'https://app.example.com/a/../cb', 'web'],
      ['encoded dot segments', 'https://app.example.com/a/%2e%2e/cb', 'web'],
      ['a private-use scheme for a web client', 'com.example.app:/cb', 'web'],
      ['a non-canonical loopback address', 'http://127.1/cb', 'native'],
      ['port 0', 'https://app.example.com:0/cb', 'web'],
      ['a 2001-character URI', `https://app.example.com/${'a'.repeat(1980)}`, 'web'],
      ['whitespace', 'https://app.example.com/c b', 'web'],
    ] as const) {
      hostile(`${label}: invalid_redirect_uri`, async () => {
        const response = await http(t.url, '/register', {
          jsonBody: {
            redirect_uris: [uri],
            application_type: applicationType,
            token_endpoint_auth_method: 'none',
          },
        });
        expectOAuthJson(response, 400, 'invalid_redirect_uri');
      });
    }
    for (const member of ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri']) {
      hostile(`javascript: in ${member}: invalid_client_metadata`, async () => {
        const response = await http(t.url, '/register', {
          jsonBody: { redirect_uris: [WEB_REDIRECT_URI], [member]: 'javascript:alert(1)' },
        });
        expectOAuthJson(response, 400, 'invalid_client_metadata');
      });
    }
  });

  scanForSecrets(battery, 25);
});
