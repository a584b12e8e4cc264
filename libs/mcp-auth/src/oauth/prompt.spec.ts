import { OAuthError } from './oauth-error';
import { parsePrompt, PROMPT_VALUES_SUPPORTED } from './prompt';

describe('parsePrompt (OIDC Core §3.1.2.1; AS-18: prompt as real clients send it)', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    [' ', []],
    ['consent', ['consent']],
    ['login', ['login']],
    ['none', ['none']],
    ['login consent', ['login', 'consent']],
    ['consent  consent', ['consent']],
  ])('parses %p', (input, expected) => {
    expect(parsePrompt(input)).toEqual(expected);
  });

  it.each([
    ['an unknown value', 'select_account'],
    ['an unknown value next to a known one', 'consent create'],
    ['a value in another case', 'Consent'],
    ['none with login', 'none login'],
    ['none with consent', 'consent none'],
  ])('%s is invalid_request', (_label, input) => {
    let thrown: unknown;
    try {
      parsePrompt(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).error).toBe('invalid_request');
    // The client's own text is never echoed into the redirect.
    expect((thrown as OAuthError).description).not.toContain(input);
  });

  it('supports exactly none, login and consent', () => {
    expect([...PROMPT_VALUES_SUPPORTED]).toEqual(['none', 'login', 'consent']);
  });
});
