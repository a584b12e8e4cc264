import { OAuthError } from '../../oauth/oauth-error';
import { DEFAULT_MAX_PARAMETER_LENGTH, FormParameters } from './form-parameters';

const FORM = 'application/x-www-form-urlencoded';

function errorOf(action: () => unknown): OAuthError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }
  throw new Error('expected an OAuthError');
}

describe('FormParameters', () => {
  const read = (body: unknown, contentType: string | undefined = FORM) =>
    FormParameters.fromRequest({ headers: { 'content-type': contentType }, body });

  it('reads single string parameters and ignores unknown ones (AS-18)', () => {
    const params = read({ grant_type: 'authorization_code', extra: ['a', 'b'], nested: { a: 1 } });
    expect(params.get('grant_type')).toBe('authorization_code');
    expect(params.require('grant_type')).toBe('authorization_code');
    expect(params.get('code')).toBeUndefined();
  });

  it('RFC 6749 §3.1: treats an empty value as omitted', () => {
    const params = read({ scope: '' });
    expect(params.get('scope')).toBeUndefined();
    expect(errorOf(() => params.require('scope')).error).toBe('invalid_request');
  });

  it('RFC 6749 §3.1: refuses a repeated parameter with invalid_request', () => {
    const params = read({ code: ['a', 'b'] });
    expect(params.isRepeated('code')).toBe(true);
    expect(errorOf(() => params.get('code'))).toMatchObject({
      error: 'invalid_request',
      status: 400,
    });
  });

  it('refuses structured parameters (qs brackets) with invalid_request', () => {
    expect(errorOf(() => read({ code: { a: 'b' } }).get('code')).error).toBe('invalid_request');
    expect(errorOf(() => read({ code: 42 }).get('code')).error).toBe('invalid_request');
  });

  it('bounds value lengths, with a per-parameter override', () => {
    const long = 'x'.repeat(DEFAULT_MAX_PARAMETER_LENGTH + 1);
    expect(errorOf(() => read({ code: long }).get('code')).error).toBe('invalid_request');
    expect(read({ token: long }).get('token', { maxLength: 8192 })).toBe(long);
    expect(read({ code: 'x'.repeat(DEFAULT_MAX_PARAMETER_LENGTH) }).get('code')).toHaveLength(
      DEFAULT_MAX_PARAMETER_LENGTH,
    );
  });

  it('never reads inherited properties', () => {
    const params = read({});
    expect(params.get('constructor')).toBeUndefined();
    expect(params.get('toString')).toBeUndefined();
    expect(params.isRepeated('constructor')).toBe(false);
  });

  it('accepts the form media type in any case and with parameters', () => {
    expect(read({ a: 'b' }, 'Application/X-WWW-Form-URLEncoded; charset=utf-8').get('a')).toBe('b');
  });

  it('refuses other content types, JSON included, with invalid_request', () => {
    for (const type of ['application/json', 'text/plain', 'multipart/form-data']) {
      expect(errorOf(() => read({ a: 'b' }, type)).error).toBe('invalid_request');
    }
    const withoutType = () => FormParameters.fromRequest({ headers: {}, body: { a: 'b' } });
    expect(errorOf(withoutType).error).toBe('invalid_request');
    expect(errorOf(() => read({ a: 'b' }, 'application/x-www-form-urlencoded-evil')).error).toBe(
      'invalid_request',
    );
  });

  it('treats a missing body as no parameters, and a non-object body as malformed', () => {
    expect(read(undefined).get('a')).toBeUndefined();
    expect(errorOf(() => read('a=b')).error).toBe('invalid_request');
    expect(errorOf(() => read(['a'])).error).toBe('invalid_request');
  });
});
