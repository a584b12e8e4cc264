import {
  MAX_REDIRECT_URI_LENGTH,
  matchRedirectUri,
  validateRedirectUriForRegistration,
} from './redirect-uri';
import type { RedirectUriApplicationType } from './redirect-uri';

const validate = (uri: string, type: RedirectUriApplicationType = 'native') =>
  validateRedirectUriForRegistration(uri, type);

describe('validateRedirectUriForRegistration (AS-14, RFC 8252 §7)', () => {
  describe.each<RedirectUriApplicationType>(['web', 'native'])('for %s clients', (type) => {
    it.each([
      'https://app.example.com/callback',
      'https://app.example.com/callback?tenant=1&x=y',
      'https://app.example.com',
      'https://app.example.com/',
      'https://app.example.com:8443/cb',
      'https://192.0.2.10/cb',
      'https://[2001:db8::1]/cb',
      'https://xn--bcher-kva.example/cb',
      'https://claude.ai/api/mcp/auth_callback',
      'http://localhost/callback',
      'http://localhost:6274/oauth/callback',
      'http://127.0.0.1/callback',
      'http://127.0.0.1:33418/cb',
      'http://[::1]/cb',
      'http://[::1]:8080/cb',
      'https://app.example.com/cb%2Fencoded',
      'https://app.example.com/a.b/..c/.d',
    ])('accepts %s', (uri) => {
      expect(validate(uri, type)).toEqual({ ok: true });
    });

    it.each([
      // Dangerous schemes
      ['javascript:', 'javascript:alert(1)'],
      ['javascript: with a comment trick', 'javascript://example.com/%0aalert(1)'],
      ['data:', 'data:text/html,<script>alert(1)</script>'],
      ['vbscript:', 'vbscript:msgbox(1)'],
      ['file:', 'file:///etc/passwd'],
      ['blob:', 'blob:https://example.com/uuid'],
      ['about:', 'about:blank'],
      ['view-source:', 'view-source:https://example.com'],
      ['ftp:', 'ftp://example.com/cb'],
      ['ws:', 'ws://localhost/cb'],
      ['mailto:', 'mailto:a@example.com'],
      // http only on loopback (AS-14, AS-25)
      ['http on a public host', 'http://example.com/cb'],
      ['http on a lookalike of localhost', 'http://localhost.example.com/cb'],
      ['http on 127.0.0.2', 'http://127.0.0.2/cb'],
      ['http on 0.0.0.0', 'http://0.0.0.0/cb'],
      ['http on a trailing-dot localhost', 'http://localhost./cb'],
      ['http on a trailing-dot loopback IP', 'http://127.0.0.1./cb'],
      ['http on a shortened loopback IP', 'http://127.1/cb'],
      ['http on a hex loopback IP', 'http://0x7f.0.0.1/cb'],
      ['http on a decimal loopback IP', 'http://2130706433/cb'],
      ['http on a long IPv6 loopback', 'http://[0:0:0:0:0:0:0:1]/cb'],
      ['https on a decimal IP', 'https://2130706433/cb'],
      // Fragments (RFC 6749 §3.1.2)
      ['a fragment', 'https://app.example.com/cb#frag'],
      ['an empty fragment', 'https://app.example.com/cb#'],
      ['a fragment on loopback', 'http://localhost/cb#x'],
      // Userinfo
      ['userinfo', 'https://user@app.example.com/cb'],
      ['userinfo with password', 'https://user:pass@app.example.com/cb'],
      ['userinfo that looks like a host', 'https://app.example.com@evil.example/cb'],
      ['userinfo after a loopback host', 'http://localhost:80@evil.example/cb'],
      ['empty userinfo', 'https://@evil.example/cb'],
      // Relative and malformed
      ['a relative path', '/callback'],
      ['a scheme-relative URI', '//evil.example/cb'],
      ['a bare host', 'app.example.com/cb'],
      ['an empty string', ''],
      ['https with one slash', 'https:/app.example.com/cb'],
      ['https with no authority', 'https:///cb'],
      ['https with an empty port', 'https://app.example.com:/cb'],
      ['port 0', 'https://app.example.com:0/cb'],
      ['a port above 65535', 'https://app.example.com:65536/cb'],
      ['a port with leading zeros', 'http://localhost:08080/cb'],
      ['a non-numeric port', 'https://app.example.com:https/cb'],
      ['a double dot in the host', 'https://app..example.com/cb'],
      ['a trailing dot on the host', 'https://app.example.com./cb'],
      ['an underscore in the host', 'https://app_x.example.com/cb'],
      ['a percent-encoded host', 'https://%65vil.example/cb'],
      ['an IPv6 zone id', 'http://[fe80::1%25eth0]/cb'],
      // Case (exact matching compares raw strings)
      ['an uppercase scheme', 'HTTPS://app.example.com/cb'],
      ['a mixed-case scheme', 'Https://app.example.com/cb'],
      ['an uppercase http scheme on loopback', 'HTTP://localhost/cb'],
      ['an uppercase host', 'https://App.Example.com/cb'],
      ['an uppercase localhost', 'http://LOCALHOST/cb'],
      // Characters
      ['a backslash in the path', 'https://app.example.com\\@evil.example/cb'],
      ['a backslash authority', 'https:\\\\evil.example/cb'],
      ['a space', 'https://app.example.com/call back'],
      ['a leading space', ' https://app.example.com/cb'],
      ['a trailing newline', 'https://app.example.com/cb\n'],
      ['a tab', 'https://app.example.com/\tcb'],
      ['a CRLF header injection', 'https://app.example.com/cb\r\nSet-Cookie: x=y'],
      ['a NUL', 'https://app.example.com/cb\u0000'],
      ['DEL', 'https://app.example.com/cb\u007f'],
      ['a raw Unicode host (IDN)', 'https://bücher.example/cb'],
      ['a homograph host', 'https://аpple.com/cb'],
      ['a fullwidth dot', 'https://evil。example/cb'],
      ['a right-to-left override', 'https://app.example.com/\u202ecb'],
      ['a raw Unicode path', 'https://app.example.com/café'],
      // Dot segments, which browsers resolve away
      ['a ".." segment', 'https://app.example.com/cb/../evil'],
      ['a "." segment', 'https://app.example.com/./cb'],
      ['an encoded ".." segment', 'https://app.example.com/cb/%2e%2e/evil'],
      ['a mixed encoded ".." segment', 'https://app.example.com/cb/.%2E/evil'],
      ['a trailing ".."', 'http://127.0.0.1/cb/..'],
      ['too long', `https://app.example.com/${'a'.repeat(MAX_REDIRECT_URI_LENGTH)}`],
    ])('refuses %s', (_name, uri) => {
      const result = validate(uri, type);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason.length).toBeGreaterThan(0);
      }
    });

    it('accepts a URI of exactly the maximum length', () => {
      const prefix = 'https://app.example.com/';
      const uri = `${prefix}${'a'.repeat(MAX_REDIRECT_URI_LENGTH - prefix.length)}`;
      expect(uri).toHaveLength(MAX_REDIRECT_URI_LENGTH);
      expect(validate(uri, type)).toEqual({ ok: true });
    });
  });

  describe('private-use schemes (RFC 8252 §7.1)', () => {
    it.each([
      'com.example.app:/callback',
      'com.example.app:/oauth2redirect/example-provider',
      'com.example.app://callback',
      'com.example.app:callback',
      'io.github.some-user.app:/cb',
      'com.example.app:/cb?x=1',
    ])('accepts %s for native clients', (uri) => {
      expect(validate(uri, 'native')).toEqual({ ok: true });
    });

    it('refuses them for web clients', () => {
      const result = validate('com.example.app:/callback', 'web');
      expect(result).toEqual({
        ok: false,
        reason: expect.stringContaining('native'),
      });
    });

    it.each([
      ['a scheme without a dot', 'myapp:/callback'],
      ['a single-label scheme like cursor', 'cursor://anysphere.cursor-mcp/oauth/callback'],
      ['a dotted vendor scheme', 'x-apple.systempreferences:com.apple.preference'],
      ['a scheme starting with a digit label', '1com.example:/cb'],
      ['a first label with digits', 'c0m.example.app:/cb'],
      ['an empty label', 'com..example:/cb'],
      ['a trailing dot', 'com.example.:/cb'],
      ['a plus in the scheme', 'com.example+app.x:/cb'],
      ['an uppercase scheme', 'Com.Example.App:/callback'],
      ['nothing after the scheme', 'com.example.app:'],
      ['userinfo in an authority', 'com.example.app://user@host/cb'],
      ['a fragment', 'com.example.app:/cb#x'],
      ['a dot segment', 'com.example.app:/cb/../x'],
      ['a data URI', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
      ['javascript', 'javascript:alert(document.cookie)'],
    ])('refuses %s', (_name, uri) => {
      expect(validate(uri, 'native').ok).toBe(false);
    });
  });

  describe('extraPrivateUseSchemes policy', () => {
    const policy = { extraPrivateUseSchemes: ['cursor', 'javascript', 'data'] };

    it('admits a listed single-label scheme for native clients', () => {
      expect(
        validateRedirectUriForRegistration(
          'cursor://anysphere.cursor-mcp/oauth/callback',
          'native',
          policy,
        ),
      ).toEqual({ ok: true });
    });

    it('still refuses it for web clients', () => {
      expect(
        validateRedirectUriForRegistration('cursor://anysphere.cursor-mcp/cb', 'web', policy).ok,
      ).toBe(false);
    });

    it('still refuses unlisted schemes, uppercase, userinfo and fragments', () => {
      for (const uri of [
        'vscode://cb',
        'CURSOR://anysphere.cursor-mcp/cb',
        'cursor://user@anysphere.cursor-mcp/cb',
        'cursor://anysphere.cursor-mcp/cb#x',
      ]) {
        expect(validateRedirectUriForRegistration(uri, 'native', policy).ok).toBe(false);
      }
    });

    it('never admits dangerous schemes, even when listed', () => {
      expect(validateRedirectUriForRegistration('javascript:alert(1)', 'native', policy).ok).toBe(
        false,
      );
      expect(validateRedirectUriForRegistration('data:text/html,x', 'native', policy).ok).toBe(
        false,
      );
    });
  });

  it('explains the refusal', () => {
    expect(validate('http://example.com/cb', 'web')).toEqual({
      ok: false,
      reason: 'redirect URI must use https, or http on localhost, 127.0.0.1 or [::1]',
    });
    expect(validate('HTTPS://app.example.com/cb', 'web')).toEqual({
      ok: false,
      reason: 'redirect URI scheme must be lowercase',
    });
  });

  it('refuses non-string input without throwing', () => {
    expect(validate(undefined as unknown as string).ok).toBe(false);
    expect(validate(42 as unknown as string).ok).toBe(false);
  });
});

describe('matchRedirectUri (AS-14)', () => {
  const registered = [
    'https://app.example.com/callback',
    'http://localhost/callback',
    'http://127.0.0.1/cb',
    'http://[::1]:8080/v6',
    'com.example.app:/callback',
  ];

  describe('exact matching', () => {
    it.each(registered)('matches %s exactly', (uri) => {
      expect(matchRedirectUri(uri, registered)).toBe(uri);
    });

    it.each([
      ['a trailing slash', 'https://app.example.com/callback/'],
      ['a missing path', 'https://app.example.com'],
      ['an extra query', 'https://app.example.com/callback?x=1'],
      ['a fragment', 'https://app.example.com/callback#x'],
      ['an uppercase scheme', 'HTTPS://app.example.com/callback'],
      ['an uppercase host', 'https://APP.example.com/callback'],
      ['an uppercase path', 'https://app.example.com/Callback'],
      ['an explicit default port', 'https://app.example.com:443/callback'],
      ['another port on https', 'https://app.example.com:8443/callback'],
      ['a sub-path', 'https://app.example.com/callback/evil'],
      ['a prefix only', 'https://app.example.com/call'],
      ['a dot segment', 'https://app.example.com/x/../callback'],
      ['an encoded character', 'https://app.example.com/c%61llback'],
      ['http instead of https', 'http://app.example.com/callback'],
      ['a suffix-host', 'https://app.example.com.evil.example/callback'],
      ['userinfo', 'https://app.example.com@evil.example/callback'],
      ['a backslash', 'https://app.example.com\\@evil.example/callback'],
      ['a trailing space', 'https://app.example.com/callback '],
      ['a trailing newline', 'https://app.example.com/callback\n'],
      ['a different private-use path', 'com.example.app:/callback2'],
      ['a private-use scheme with another case', 'COM.example.app:/callback'],
      ['an empty string', ''],
    ])('does not match %s', (_name, uri) => {
      expect(matchRedirectUri(uri, registered)).toBeNull();
    });

    it('does not match when nothing is registered', () => {
      expect(matchRedirectUri('https://app.example.com/callback', [])).toBeNull();
    });
  });

  describe('loopback port relaxation (RFC 8252 §7.3)', () => {
    it.each([
      ['127.0.0.1 with an ephemeral port', 'http://127.0.0.1:51234/cb', 'http://127.0.0.1/cb'],
      ['127.0.0.1 with port 80', 'http://127.0.0.1:80/cb', 'http://127.0.0.1/cb'],
      ['127.0.0.1 with port 65535', 'http://127.0.0.1:65535/cb', 'http://127.0.0.1/cb'],
      [
        'localhost with an ephemeral port',
        'http://localhost:33418/callback',
        'http://localhost/callback',
      ],
      ['[::1] with another port', 'http://[::1]:9999/v6', 'http://[::1]:8080/v6'],
      ['[::1] without a port', 'http://[::1]/v6', 'http://[::1]:8080/v6'],
    ])('matches %s', (_name, requested, expected) => {
      expect(matchRedirectUri(requested, registered)).toBe(expected);
    });

    it('matches a registered URI that has a port against another port', () => {
      expect(matchRedirectUri('http://127.0.0.1:1/cb?x=1', ['http://127.0.0.1:5000/cb?x=1'])).toBe(
        'http://127.0.0.1:5000/cb?x=1',
      );
    });

    it('matches a loopback URI without a path', () => {
      expect(matchRedirectUri('http://127.0.0.1:4000', ['http://127.0.0.1'])).toBe(
        'http://127.0.0.1',
      );
    });

    it('prefers the exact match when several entries qualify', () => {
      const list = ['http://127.0.0.1:1111/cb', 'http://127.0.0.1:2222/cb'];
      expect(matchRedirectUri('http://127.0.0.1:2222/cb', list)).toBe('http://127.0.0.1:2222/cb');
    });

    it.each([
      ['localhost against 127.0.0.1', 'http://localhost:5000/cb', ['http://127.0.0.1/cb']],
      [
        '127.0.0.1 against localhost',
        'http://127.0.0.1:5000/callback',
        ['http://localhost/callback'],
      ],
      ['[::1] against 127.0.0.1', 'http://[::1]:5000/cb', ['http://127.0.0.1/cb']],
      ['127.0.0.1 against [::1]', 'http://127.0.0.1:5000/v6', ['http://[::1]/v6']],
      ['https loopback (no relaxation)', 'https://127.0.0.1:5000/cb', ['https://127.0.0.1/cb']],
      ['https localhost (no relaxation)', 'https://localhost:5000/cb', ['https://localhost/cb']],
      [
        'a public host',
        'https://app.example.com:5000/callback',
        ['https://app.example.com/callback'],
      ],
      ['a different path', 'http://127.0.0.1:5000/cb2', ['http://127.0.0.1/cb']],
      ['a different query', 'http://127.0.0.1:5000/cb?x=2', ['http://127.0.0.1/cb?x=1']],
      ['an extra query', 'http://127.0.0.1:5000/cb?', ['http://127.0.0.1/cb']],
      ['a dot segment', 'http://127.0.0.1:5000/cb/../evil', ['http://127.0.0.1/evil']],
      [
        'a dot segment to the registered path',
        'http://127.0.0.1:5000/x/../cb',
        ['http://127.0.0.1/cb'],
      ],
      ['an encoded slash', 'http://127.0.0.1:5000/cb%2F..%2Fevil', ['http://127.0.0.1/cb']],
      ['an encoded path char', 'http://127.0.0.1:5000/%63b', ['http://127.0.0.1/cb']],
      ['a backslash', 'http://127.0.0.1:5000\\@evil.example/cb', ['http://127.0.0.1/cb']],
      [
        'userinfo before the host',
        'http://evil.example@127.0.0.1:5000/cb',
        ['http://127.0.0.1/cb'],
      ],
      ['userinfo after the port', 'http://127.0.0.1:5000@evil.example/cb', ['http://127.0.0.1/cb']],
      ['userinfo without a port', 'http://127.0.0.1@evil.example/cb', ['http://127.0.0.1/cb']],
      ['a trailing-dot host', 'http://127.0.0.1.:5000/cb', ['http://127.0.0.1/cb']],
      ['a suffix host', 'http://127.0.0.1.evil.example:5000/cb', ['http://127.0.0.1/cb']],
      [
        'a localhost suffix host',
        'http://localhost.evil.example:5000/callback',
        ['http://localhost/callback'],
      ],
      [
        'a trailing-dot localhost',
        'http://localhost.:5000/callback',
        ['http://localhost/callback'],
      ],
      ['an uppercase scheme', 'HTTP://127.0.0.1:5000/cb', ['http://127.0.0.1/cb']],
      ['an uppercase localhost', 'http://LOCALHOST:5000/callback', ['http://localhost/callback']],
      ['a shortened IPv4', 'http://127.1:5000/cb', ['http://127.0.0.1/cb']],
      ['a decimal IPv4', 'http://2130706433:5000/cb', ['http://127.0.0.1/cb']],
      ['a long-form IPv6', 'http://[0:0:0:0:0:0:0:1]:5000/v6', ['http://[::1]/v6']],
      ['a punycode host', 'http://xn--localhost-xyz:5000/callback', ['http://localhost/callback']],
      ['a Unicode host', 'http://ｌocalhost:5000/callback', ['http://localhost/callback']],
      ['an empty port', 'http://127.0.0.1:/cb', ['http://127.0.0.1/cb']],
      ['port 0', 'http://127.0.0.1:0/cb', ['http://127.0.0.1/cb']],
      ['a leading-zero port', 'http://127.0.0.1:05000/cb', ['http://127.0.0.1/cb']],
      ['a port above 65535', 'http://127.0.0.1:65536/cb', ['http://127.0.0.1/cb']],
      ['a huge port', 'http://127.0.0.1:99999/cb', ['http://127.0.0.1/cb']],
      ['two ports', 'http://127.0.0.1:5000:6000/cb', ['http://127.0.0.1/cb']],
      ['a fragment', 'http://127.0.0.1:5000/cb#x', ['http://127.0.0.1/cb']],
      ['a trailing newline', 'http://127.0.0.1:5000/cb\n', ['http://127.0.0.1/cb']],
      ['a CRLF', 'http://127.0.0.1:5000/cb\r\nX: y', ['http://127.0.0.1/cb']],
      ['a trailing slash', 'http://127.0.0.1:5000/cb/', ['http://127.0.0.1/cb']],
      ['a scheme-relative URI', '//127.0.0.1:5000/cb', ['http://127.0.0.1/cb']],
    ])('does not match %s', (_name, requested, list) => {
      expect(matchRedirectUri(requested, list)).toBeNull();
    });
  });

  it('refuses over-long requests even if registered verbatim', () => {
    const long = `https://app.example.com/${'a'.repeat(MAX_REDIRECT_URI_LENGTH)}`;
    expect(matchRedirectUri(long, [long])).toBeNull();
  });

  it('never matches unsafe characters even if an unvalidated list holds them', () => {
    const unsafe = 'https://app.example.com/cb#frag';
    expect(matchRedirectUri(unsafe, [unsafe])).toBeNull();
  });

  it('returns null for a non-string request', () => {
    expect(matchRedirectUri(undefined as unknown as string, registered)).toBeNull();
  });
});
