import { validateIssuer } from './issuer';

describe('validateIssuer (AS-4, AS-25, RFC 8414 §2)', () => {
  it.each([
    'https://auth.example.com',
    'https://auth.example.com:8443',
    'https://example.com',
    'https://xn--bcher-kva.example',
    'https://[2001:db8::1]',
    'http://localhost',
    'http://localhost:3000',
    'http://127.0.0.1:3000',
    'http://[::1]:3000',
  ])('accepts %s', (issuer) => {
    expect(validateIssuer(issuer)).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['http on a public host', 'http://auth.example.com', /must use https/],
    ['http on a lookalike host', 'http://localhost.example.com', /must use https/],
    ['another scheme', 'ftp://auth.example.com', /must use https/],
    ['a path', 'https://auth.example.com/oauth', /must not contain a path/],
    ['a dot segment path', 'https://auth.example.com/./', /must not contain a path/],
    ['a trailing slash', 'https://auth.example.com/', /must not end with a slash/],
    ['a query', 'https://auth.example.com?x=1', /must not contain a query/],
    ['an empty query', 'https://auth.example.com?', /must not contain a query/],
    ['a fragment', 'https://auth.example.com#x', /must not contain a fragment/],
    ['an empty fragment', 'https://auth.example.com#', /must not contain a fragment/],
    ['userinfo', 'https://user@auth.example.com', /user information/],
    ['userinfo with password', 'https://u:p@auth.example.com', /user information/],
    ['empty userinfo', 'https://@auth.example.com', /user information/],
    ['a relative URL', '/auth', /not an absolute URL/],
    ['a bare host', 'auth.example.com', /not an absolute URL/],
    ['an empty string', '', /non-empty/],
    ['whitespace', ' https://auth.example.com', /whitespace/],
    ['a newline', 'https://auth.example.com\n', /whitespace/],
  ])('refuses %s', (_name, issuer, message) => {
    const problems = validateIssuer(issuer);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(message);
  });

  it.each([
    ['an uppercase host', 'https://Example.com', 'https://example.com'],
    ['an uppercase scheme', 'HTTPS://example.com', 'https://example.com'],
    ['a default port', 'https://example.com:443', 'https://example.com'],
    ['a default http port', 'http://localhost:80', 'http://localhost'],
    ['a Unicode host', 'https://bücher.example', 'https://xn--bcher-kva.example'],
    ['a short IPv4', 'http://127.1:3000', 'http://127.0.0.1:3000'],
    ['a long IPv6', 'http://[0:0:0:0:0:0:0:1]', 'http://[::1]'],
    ['a backslash', 'https://example.com\\', 'https://example.com'],
  ])('refuses %s and suggests the origin form', (_name, issuer, suggestion) => {
    expect(validateIssuer(issuer)).toEqual([
      `issuer must be written exactly as its origin: use "${suggestion}"`,
    ]);
  });

  it('suggests the fixed issuer after other problems', () => {
    expect(validateIssuer('https://Example.com/')).toEqual([
      'issuer must not end with a slash',
      'did you mean "https://example.com"?',
    ]);
    expect(validateIssuer('http://auth.example.com/oauth')).toContain(
      'did you mean "https://auth.example.com"?',
    );
  });

  it('does not echo a password from the issuer', () => {
    const problems = validateIssuer('https://user:s3cret@auth.example.com').join('\n');
    expect(problems).not.toContain('s3cret');
  });

  it('refuses non-strings', () => {
    expect(validateIssuer(undefined as unknown as string)).toEqual([
      'issuer must be a non-empty string',
    ]);
  });
});
