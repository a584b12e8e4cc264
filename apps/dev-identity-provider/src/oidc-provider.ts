import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The slice of node-oidc-provider's API this app uses, typed here: the package ships no type
 * declarations.
 */
export interface OidcProvider {
  readonly issuer: string;
  /** Koa's request listener: every route of the provider. */
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  /** Records the result and answers 303 to the authorization endpoint, which resumes. */
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: InteractionResult,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  readonly Grant: GrantModel;
  readonly Client: { find(clientId: string): Promise<{ clientName?: string } | undefined> };
  on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): this;
}

/** The pending interaction oidc-provider found from the browser's interaction cookie. */
export interface InteractionDetails {
  uid: string;
  prompt: {
    name: string;
    reasons: string[];
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  };
  params: Record<string, unknown> & { client_id: string; scope?: string };
  session?: { accountId?: string };
  grantId?: string;
}

export type InteractionResult =
  | { login: { accountId: string } }
  | { consent: { grantId: string } }
  | { error: string; error_description?: string };

export interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

export interface GrantModel {
  new (properties: { accountId: string; clientId: string }): Grant;
  find(id: string): Promise<Grant | undefined>;
}

type OidcProviderClass = new (issuer: string, configuration: object) => OidcProvider;

/**
 * Loads oidc-provider, an ES module, from this CommonJS build with a native dynamic import.
 * The specifier is a variable so that tsc does not look for the declarations the package
 * lacks; the types above stand in for them.
 */
export async function loadOidcProvider(): Promise<OidcProviderClass> {
  const specifier = 'oidc-provider';
  return ((await import(specifier)) as { default: OidcProviderClass }).default;
}
