import { parseBasicAuthorization } from './basic-auth';

/** What a conforming client sends (RFC 6749 §2.3.1): base64(urlencode(id):urlencode(secret)). */
const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(
    `${encodeURIComponent(id).replace(/%20/g, '+')}:${encodeURIComponent(secret).replace(/%20/g, '+')}`,
  ).toString('base64')}`;
const raw = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;

describe('parseBasicAuthorization (AS-20, RFC 6749 §2.3.1)', () => {
  it('returns null without a header', () => {
    expect(parseBasicAuthorization(undefined)).toBeNull();
    expect(parseBasicAuthorization('')).toBeNull();
  });

  it.each([
    ['simple values', 'client-1', 'secret-1'],
    ['a colon in the id and secret', 'urn:client:1', 'a:b:c'],
    ['spaces', 'my client', 'pass word'],
    ['a plus sign', 'a+b', '1+1=2'],
    ['a percent sign', '100%', '%41'],
    ['Unicode', 'clïent', 'sécrét🔑'],
    ['an https client id (CIMD style)', 'https://app.example.com/client.json', 's'],
    ['an empty secret', 'public-client', ''],
  ])('reads %s', (_name, clientId, clientSecret) => {
    expect(parseBasicAuthorization(basic(clientId, clientSecret))).toEqual({
      ok: true,
      credentials: { clientId, clientSecret },
    });
  });

  it('form-url-decodes: "+" is a space and %XX escapes are decoded', () => {
    expect(parseBasicAuthorization(raw('a+b%3Ac:x%2By+z'))).toEqual({
      ok: true,
      credentials: { clientId: 'a b:c', clientSecret: 'x+y z' },
    });
  });

  it('splits at the first colon (an encoded id has none)', () => {
    expect(parseBasicAuthorization(raw('id:se:cret'))).toEqual({
      ok: true,
      credentials: { clientId: 'id', clientSecret: 'se:cret' },
    });
  });

  it.each(['basic', 'BASIC', 'bAsIc'])('accepts the scheme spelled %s', (scheme) => {
    const header = `${scheme} ${Buffer.from('id:secret').toString('base64')}`;
    expect(parseBasicAuthorization(header)).toEqual({
      ok: true,
      credentials: { clientId: 'id', clientSecret: 'secret' },
    });
  });

  it('accepts several spaces after the scheme', () => {
    expect(parseBasicAuthorization(`Basic   ${Buffer.from('id:s').toString('base64')}`)).toEqual({
      ok: true,
      credentials: { clientId: 'id', clientSecret: 's' },
    });
  });

  it.each([
    ['another scheme', 'Bearer abc.def.ghi', 'not_basic'],
    ['a scheme prefix', 'BasicaWQ6cw==', 'not_basic'],
    ['a digest header', 'Digest username="x"', 'not_basic'],
    ['no credentials', 'Basic', 'malformed_base64'],
    ['only a space', 'Basic ', 'malformed_base64'],
    ['two tokens', 'Basic aWQ6cw== aWQ6cw==', 'malformed_base64'],
    ['a tab separator', 'Basic\taWQ6cw==', 'not_basic'],
    ['base64url characters', 'Basic aWQ6cz8-_w==', 'malformed_base64'],
    ['missing padding', 'Basic aWQ6cw', 'malformed_base64'],
    ['excess padding', 'Basic aWQ6cw===', 'malformed_base64'],
    ['padding in the middle', 'Basic aW=6cw==', 'malformed_base64'],
    ['non-zero padding bits', 'Basic aWQ6cx==', 'malformed_base64'],
    ['a dot', 'Basic aWQ6.w==', 'malformed_base64'],
    ['a percent escape', 'Basic %61WQ6cw==', 'malformed_base64'],
    ['a wrong length', 'Basic aWQ6c', 'malformed_base64'],
    [
      'invalid UTF-8',
      `Basic ${Buffer.from([0x69, 0x64, 0x3a, 0xff, 0xfe]).toString('base64')}`,
      'malformed_utf8',
    ],
    ['no colon', raw('client-without-secret'), 'missing_colon'],
    ['an empty id', raw(':secret'), 'empty_client_id'],
    ['a bad percent escape in the id', raw('%zz:secret'), 'malformed_encoding'],
    ['a truncated percent escape in the secret', raw('id:abc%4'), 'malformed_encoding'],
    ['an encoded lone surrogate', raw('id:%ED%A0%80'), 'malformed_encoding'],
    ['a control character in the id', raw('id%0A:secret'), 'invalid_characters'],
    ['a raw NUL in the secret', raw('id:se\u0000cret'), 'invalid_characters'],
    ['an over-long header', `Basic ${'A'.repeat(5000)}`, 'too_long'],
  ])('refuses %s', (_name, header, failure) => {
    const result = parseBasicAuthorization(header);
    expect(result).toMatchObject({ ok: false, failure });
  });

  it('never puts the credentials into the failure description', () => {
    const result = parseBasicAuthorization(raw('%zz:TOPSECRET'));
    expect(result).not.toBeNull();
    expect(JSON.stringify(result)).not.toContain('TOPSECRET');
    expect(JSON.stringify(result)).not.toContain(Buffer.from('%zz:TOPSECRET').toString('base64'));
  });
});
