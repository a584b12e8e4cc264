import { isJsonMediaType } from './json-media-type';

describe('isJsonMediaType', () => {
  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/json; charset=utf8',
    'application/jwk-set+json',
    'application/problem+json; charset=utf-8',
  ])('accepts %s', (value) => {
    expect(isJsonMediaType(value)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'text/html',
    'text/json',
    'text/plain; x=application/json',
    'application/jsonp',
    'application/json-seq',
    'application/+json',
    'application/x-www-form-urlencoded',
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16',
  ])('refuses %s', (value) => {
    expect(isJsonMediaType(value)).toBe(false);
  });
});
