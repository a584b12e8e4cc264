import { OAuthError } from './oauth-error';
import { formatScope, isSubset, isValidScopeToken, parseScope } from './scope';

describe('parseScope (RFC 6749 §3.3)', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    [' ', []],
    ['mcp:tools', ['mcp:tools']],
    ['a b c', ['a', 'b', 'c']],
    ['c b a', ['c', 'b', 'a']],
    ['a b a c b', ['a', 'b', 'c']],
    ['  a   b  ', ['a', 'b']],
    ['offline_access mcp', ['offline_access', 'mcp']],
    ['https://api.example.com/read', ['https://api.example.com/read']],
    ["!#$%&'()*+,-./:;<=>?@[]^_`{|}~", ["!#$%&'()*+,-./:;<=>?@[]^_`{|}~"]],
  ])('parses %p', (input, expected) => {
    expect(parseScope(input)).toEqual(expected);
  });

  it('is case-sensitive', () => {
    expect(parseScope('Read read')).toEqual(['Read', 'read']);
  });

  it.each([
    ['a double quote', 'a "b"'],
    ['a backslash', 'a\\b'],
    ['a tab separator', 'a\tb'],
    ['a newline separator', 'a\nb'],
    ['a carriage return', 'a\r'],
    ['a NUL', 'a\u0000'],
    ['DEL', 'a\u007f'],
    ['non-ASCII', 'lecture écriture'],
    ['a non-breaking space', 'a\u00a0b'],
    ['an emoji', 'a 🔑'],
  ])('refuses %s with invalid_scope', (_name, input) => {
    expect(() => parseScope(input)).toThrow(OAuthError);
    try {
      parseScope(input);
    } catch (error) {
      expect((error as OAuthError).error).toBe('invalid_scope');
      expect((error as OAuthError).status).toBe(400);
    }
  });

  it('refuses non-string input', () => {
    expect(() => parseScope(['a'] as unknown as string)).toThrow(OAuthError);
  });
});

describe('isValidScopeToken', () => {
  it('accepts NQCHAR tokens and refuses the rest', () => {
    expect(isValidScopeToken('mcp:read')).toBe(true);
    expect(isValidScopeToken('')).toBe(false);
    expect(isValidScopeToken('a b')).toBe(false);
    expect(isValidScopeToken('a"')).toBe(false);
    expect(isValidScopeToken('a\\')).toBe(false);
  });
});

describe('formatScope', () => {
  it('joins unique scopes with single spaces, keeping order', () => {
    expect(formatScope(['b', 'a', 'b'])).toBe('b a');
    expect(formatScope(new Set(['x', 'y']))).toBe('x y');
    expect(formatScope([])).toBe('');
  });

  it('round-trips with parseScope', () => {
    const scopes = ['mcp:tools', 'mcp:resources', 'offline_access'];
    expect(parseScope(formatScope(scopes))).toEqual(scopes);
  });
});

describe('isSubset', () => {
  it.each<[string[], string[], boolean]>([
    [[], [], true],
    [[], ['a'], true],
    [['a'], ['a', 'b'], true],
    [['b', 'a'], ['a', 'b'], true],
    [['a', 'a'], ['a'], true],
    [['a'], [], false],
    [['a', 'c'], ['a', 'b'], false],
    [['A'], ['a'], false],
    [['a b'], ['a', 'b'], false],
  ])('%p ⊆ %p is %p', (subset, superset, expected) => {
    expect(isSubset(subset, superset)).toBe(expected);
  });
});
