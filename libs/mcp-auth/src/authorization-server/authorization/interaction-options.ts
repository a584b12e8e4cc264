/** Built-in login and consent pages, backed by the host's `ResourceOwnerAuthenticator`. */
export interface BuiltInInteractionOptions {
  type: 'built-in';
  /** Name shown on the pages. Default: the issuer host. */
  serviceName?: string;
}

/** The host's own login page: it receives `?interaction=<id>` and finishes through `McpAuthorizationService`. */
export interface ExternalInteractionOptions {
  type: 'external';
  /** Absolute URL or path on the issuer origin of the host's login page. */
  loginUrl: string;
}

export type InteractionOptions = BuiltInInteractionOptions | ExternalInteractionOptions;

/** When an approval is remembered, so the same client is not asked again. */
export interface ConsentOptions {
  /**
   * Also remember consent for public clients (`token_endpoint_auth_method: none`). Default
   * false: anyone can present a public client's client_id (RFC 8252 §8.6), so its consent
   * page, with the warning about loopback redirects, is shown at every authorization.
   * Consent for clients that authenticate is always remembered.
   */
  rememberForPublicClients?: boolean;
}

/** The module options of the authorization step: login, consent and how long they may take. */
export interface AuthorizationInteractionOptions {
  interaction?: InteractionOptions;
  /** Remembering consent; see {@link ConsentOptions}. */
  consent?: ConsentOptions;
  /** Seconds a pending authorization (login and consent) may take. Default 600. */
  interactionTtl?: number;
}

const positive = (value: number | undefined): boolean =>
  value === undefined || (Number.isFinite(value) && value > 0);

/** Problems with `interaction`, `consent` and `interactionTtl`, worded like the module's other option errors. */
export function validateAuthorizationInteractionOptions(
  options: AuthorizationInteractionOptions,
): string[] {
  const problems: string[] = [];
  if (!positive(options.interactionTtl)) {
    problems.push('interactionTtl must be a positive number of seconds');
  }
  if (options.interaction?.type === 'external' && !options.interaction.loginUrl) {
    problems.push('interaction.loginUrl is required when interaction.type is "external"');
  }
  const remember = options.consent?.rememberForPublicClients;
  if (remember !== undefined && typeof remember !== 'boolean') {
    problems.push('consent.rememberForPublicClients must be true or false');
  }
  return problems;
}
