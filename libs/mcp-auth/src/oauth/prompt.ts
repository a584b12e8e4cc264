import { OAuthError } from './oauth-error';

/**
 * The `prompt` values this server honours (OIDC Core §3.1.2.1), as advertised in
 * `prompt_values_supported`. `select_account` is not among them: there is no account chooser.
 */
export type PromptValue = 'none' | 'login' | 'consent';

export const PROMPT_VALUES_SUPPORTED: readonly PromptValue[] = ['none', 'login', 'consent'];

const SUPPORTED: ReadonlySet<string> = new Set(PROMPT_VALUES_SUPPORTED);

/**
 * Splits a `prompt` parameter into unique values. `undefined` or blank gives `[]`. An unknown
 * value, or `none` together with any other value, is `invalid_request` (OIDC Core §3.1.2.1 and
 * §3.1.2.6): guessing what the client meant could skip a page it asked for.
 *
 * @throws OAuthError invalid_request
 */
export function parsePrompt(prompt: string | undefined): PromptValue[] {
  if (prompt === undefined) return [];
  const values = [...new Set(prompt.split(' ').filter((value) => value !== ''))];
  const unknown = values.filter((value) => !SUPPORTED.has(value));
  if (unknown.length) {
    // Not echoed: the description goes into a URL and the value is the client's free text.
    throw OAuthError.invalidRequest(
      `Unsupported prompt value; supported: ${PROMPT_VALUES_SUPPORTED.join(' ')}.`,
    );
  }
  if (values.includes('none') && values.length > 1) {
    throw OAuthError.invalidRequest('prompt=none cannot be combined with other values.');
  }
  return values as PromptValue[];
}
