import { canonicalResourceUri, canonicalizeResourceUri, resourceMatches } from './resource-uri';

describe('canonicalizeResourceUri (AS-15, RFC 8707 §2)', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
    ['https://mcp.example.com/', 'https://mcp.example.com'],
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp'],
    ['HTTPS://MCP.Example.COM/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/MCP', 'https://mcp.example.com/MCP'],
    ['https://mcp.example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['http://localhost:80/mcp', 'http://localhost/mcp'],
    ['http://localhost:3000/mcp', 'http://localhost:3000/mcp'],
    ['https://mcp.example.com:80/mcp', 'https://mcp.example.com:80/mcp'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:8080/mcp', 'http://[::1]:8080/mcp'],
    ['https://[2001:DB8::1]/mcp', 'https://[2001:db8::1]/mcp'],
    ['https://mcp.example.com/server/mcp', 'https://mcp.example.com/server/mcp'],
    ['https://mcp.example.com/mcp?tenant=A', 'https://mcp.example.com/mcp?tenant=A'],
    ['https://mcp.example.com/mcp/?x=1', 'https://mcp.example.com/mcp?x=1'],
    // Only one trailing slash is dropped, the rest of the path is kept byte for byte.
    ['https://mcp.example.com/a//', 'https://mcp.example.com/a/'],
    ['https://mcp.example.com/a%2Fb', 'https://mcp.example.com/a%2Fb'],
    ['https://mcp.example.com/a/../mcp', 'https://mcp.example.com/a/../mcp'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalizeResourceUri(input)).toBe(expected);
  });

  it.each([
    ['a relative path', '/mcp'],
    ['a scheme-relative URI', '//mcp.example.com/mcp'],
    ['a fragment', 'https://mcp.example.com/mcp#x'],
    ['an empty fragment', 'https://mcp.example.com/mcp#'],
    ['a fragment after a query', 'https://mcp.example.com/mcp?a#b'],
    ['userinfo', 'https://user@mcp.example.com/mcp'],
    ['userinfo with password', 'https://u:p@mcp.example.com/mcp'],
    ['a non-http scheme', 'ftp://mcp.example.com/mcp'],
    ['a URN', 'urn:example:mcp'],
    ['javascript', 'javascript:alert(1)'],
    ['a single slash', 'https:/mcp.example.com/mcp'],
    ['an empty host', 'https:///mcp'],
    ['whitespace', 'https://mcp.example.com/m cp'],
    ['a newline', 'https://mcp.example.com/mcp\n'],
    ['a raw Unicode host', 'https://bücher.example/mcp'],
    ['a backslash', 'https://mcp.example.com\\@evil/mcp'],
    ['a trailing-dot host', 'https://mcp.example.com./mcp'],
    ['a bad port', 'https://mcp.example.com:99999/mcp'],
    ['an empty port', 'https://mcp.example.com:/mcp'],
    ['a non-numeric port', 'https://mcp.example.com:x/mcp'],
    ['an empty string', ''],
  ])('refuses %s', (_name, input) => {
    expect(canonicalizeResourceUri(input)).toBeNull();
  });

  it('refuses non-strings', () => {
    expect(canonicalizeResourceUri(undefined as unknown as string)).toBeNull();
  });
});

describe('resourceMatches (AS-15, RS-7)', () => {
  const canonical = 'https://mcp.example.com/mcp';

  it.each([
    'https://mcp.example.com/mcp',
    'https://mcp.example.com/mcp/',
    'HTTPS://MCP.EXAMPLE.COM/mcp',
    'https://Mcp.Example.Com:443/mcp',
  ])('accepts %s', (requested) => {
    expect(resourceMatches(requested, canonical)).toBe(true);
  });

  it.each([
    'https://mcp.example.com/MCP',
    'https://mcp.example.com/mcp2',
    'https://mcp.example.com/mcp/sub',
    'https://mcp.example.com',
    'http://mcp.example.com/mcp',
    'https://mcp.example.com:8443/mcp',
    'https://mcp.example.com.evil.example/mcp',
    'https://evil.example/mcp',
    'https://mcp.example.com/mcp#x',
    'https://mcp.example.com/mcp?x=1',
    'https://mcp.example.com/x/../mcp',
    'https://user@mcp.example.com/mcp',
    '/mcp',
    '',
  ])('refuses %s', (requested) => {
    expect(resourceMatches(requested, canonical)).toBe(false);
  });

  it('treats the origin with and without the root slash as one resource', () => {
    expect(resourceMatches('https://mcp.example.com/', 'https://mcp.example.com')).toBe(true);
  });

  it('never matches when the canonical value itself is invalid', () => {
    expect(resourceMatches('https://x.example/mcp#a', 'https://x.example/mcp#a')).toBe(false);
  });
});

describe('canonicalResourceUri', () => {
  it.each([
    ['https://mcp.example.com', '/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', 'mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/', '/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', '/mcp/', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', '/', 'https://mcp.example.com'],
    ['https://mcp.example.com', '', 'https://mcp.example.com'],
    ['http://127.0.0.1:3000', '/v1/mcp', 'http://127.0.0.1:3000/v1/mcp'],
  ])('(%s, %s) → %s', (issuer, path, expected) => {
    expect(canonicalResourceUri(issuer, path)).toBe(expected);
  });

  it('throws on a combination that is not a valid resource URI', () => {
    expect(() => canonicalResourceUri('https://mcp.example.com', '/mcp#x')).toThrow(
      /Cannot form a resource URI/,
    );
    expect(() => canonicalResourceUri('not a url', '/mcp')).toThrow();
  });
});
