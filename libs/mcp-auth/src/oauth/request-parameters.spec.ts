import { OAuthError } from './oauth-error';
import { MAX_PARAMETER_LENGTH, RequestParameters } from './request-parameters';

describe('RequestParameters', () => {
  it('reads single string values and treats empty as absent', () => {
    const params = new RequestParameters({ a: 'x', empty: '' });
    expect(params.optional('a')).toBe('x');
    expect(params.optional('empty')).toBeUndefined();
    expect(params.optional('missing')).toBeUndefined();
    expect(params.required('a')).toBe('x');
  });

  it.each([
    ['repeated', ['a', 'b'], /more than once/],
    ['object', { nested: 'x' }, /single string/],
    ['number', 5, /single string/],
    ['too long', 'x'.repeat(MAX_PARAMETER_LENGTH + 1), /too long/],
  ])('refuses a %s value with invalid_request', (_label, value, message) => {
    const params = new RequestParameters({ p: value });
    expect(() => params.optional('p')).toThrow(OAuthError);
    expect(() => params.optional('p')).toThrow(message);
  });

  it('requires present values', () => {
    expect(() => new RequestParameters({}).required('code')).toThrow(/code parameter is required/);
  });

  it('tolerates a missing or non-object source', () => {
    expect(new RequestParameters(undefined).optional('a')).toBeUndefined();
    expect(new RequestParameters(['a']).optional('0')).toBeUndefined();
  });
});

describe('RequestParameters and inherited names', () => {
  it('never reads inherited properties such as constructor', () => {
    const params = new RequestParameters({});
    expect(params.optional('constructor')).toBeUndefined();
    expect(params.optional('__proto__')).toBeUndefined();
    expect(params.has('toString')).toBe(false);
  });
});
