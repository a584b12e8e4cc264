import { isClientIdUrl, parseClientIdUrl } from './client-id-url';

describe('parseClientIdUrl (Client ID Metadata Document URLs)', () => {
  it.each([
    'https://client.example.com/oauth/metadata.json',
    'https://client.example.com/client',
    'https://client.example.com:8443/a/b',
    'https://client.example.com/a.b/..c/.d',
    'https://client.example.com/trailing/',
    'https://192.0.2.10/client',
    'https://[2001:db8::1]/client',
    'HTTPS://Client.Example.com/client',
  ])('accepts %s', (value) => {
    const result = parseClientIdUrl(value);
    expect(result.ok).toBe(true);
    expect(isClientIdUrl(value)).toBe(true);
  });

  it('returns the parsed URL', () => {
    const result = parseClientIdUrl('https://client.example.com/client');
    expect(result).toEqual({ ok: true, url: new URL('https://client.example.com/client') });
  });

  it.each<[string, string]>([
    ['http://client.example.com/client', 'https'],
    ['client.example.com/client', 'https'],
    ['urn:client:1', 'https'],
    ['https://client.example.com', 'path'],
    ['https://client.example.com/', 'path'],
    ['https://client.example.com/client#frag', 'fragment'],
    ['https://client.example.com/client#', 'fragment'],
    ['https://user@client.example.com/client', 'userinfo'],
    ['https://user:pw@client.example.com/client', 'userinfo'],
    ['https://:pw@client.example.com/client', 'userinfo'],
    ['https://client.example.com/client?x=1', 'query'],
    ['https://client.example.com/client?', 'query'],
    ['https://client.example.com/a/../client', 'segments'],
    ['https://client.example.com/a/./client', 'segments'],
    ['https://client.example.com/a/..', 'segments'],
    ['https://client.example.com/a/%2e%2e/client', 'segments'],
    ['https://client.example.com/a/%2E/client', 'segments'],
    ['https://client.example.com/a/.%2e/client', 'segments'],
    ['https://client.example.com/a\\..\\client', 'segments'],
    ['https://client.example.com/cli ent', 'ASCII'],
    [' https://client.example.com/client', 'ASCII'],
    ['https://client.example.com/client\n', 'ASCII'],
    ['https://clïent.example.com/client', 'ASCII'],
    ['https:///client', 'authority'],
    ['https:///client.example.com/client', 'authority'],
    ['https://\\client.example.com/client', 'authority'],
    ['https://', 'URL'],
    ['', 'ASCII'],
  ])('refuses %s (%s)', (value, reasonPart) => {
    const result = parseClientIdUrl(value);
    expect(result.ok).toBe(false);
    expect(isClientIdUrl(value)).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reasonPart);
  });
});
