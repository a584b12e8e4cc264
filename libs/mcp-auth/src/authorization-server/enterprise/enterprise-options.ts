import { LOOPBACK_HOSTS } from '../../oauth/loopback';

/** An enterprise identity provider whose ID-JAGs this server accepts. */
export interface TrustedIdentityProvider {
  /** Its issuer identifier: the ID-JAG's `iss`, compared exactly. */
  issuer: string;
  /** Where its signing keys are; default: `jwks_uri` of its OpenID/OAuth discovery document. */
  jwksUri?: string;
  /** Clients whose ID-JAGs from this provider are accepted. Default: any client registered for the grant. */
  clients?: string[];
  /** The most any ID-JAG of this provider may grant (the operator's policy). Default: no limit. */
  scopes?: string[];
}

/** What an ID-JAG says about the user, for the host to map. */
export interface IdentityAssertion {
  issuer: string;
  /** `sub`: the user as the provider names them for this server. */
  subject: string;
  clientId: string;
  /** Every claim of the ID-JAG (`email`, a tenant claim, ...). */
  claims: Readonly<Record<string, unknown>>;
}

export type IdentityAssertionDecision =
  { action: 'accept'; subject?: string } | { action: 'refuse'; reason: string };

/**
 * Enterprise-managed authorization (the MCP extension; draft-ietf-oauth-identity-assertion-
 * authz-grant): clients redeem an Identity Assertion JWT Authorization Grant (ID-JAG) from a
 * trusted identity provider at the token endpoint (RFC 7523 JWT bearer grant).
 */
export interface EnterpriseAuthorizationOptions {
  trustedIdentityProviders: TrustedIdentityProvider[];
  /**
   * Maps the asserted user to a subject here, or refuses. Default: accept, subject = `sub`.
   * With several providers, include the issuer (or a tenant claim) in the subject.
   */
  identity?: (
    assertion: IdentityAssertion,
  ) => IdentityAssertionDecision | Promise<IdentityAssertionDecision>;
}

/** Problems with `enterprise`, worded like the module's other option errors. */
export function validateEnterpriseOptions(
  options: EnterpriseAuthorizationOptions | undefined,
): string[] {
  if (options === undefined) return [];
  if (!Array.isArray(options?.trustedIdentityProviders)) {
    return ['enterprise.trustedIdentityProviders must be a list'];
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [index, provider] of options.trustedIdentityProviders.entries()) {
    const where = `enterprise.trustedIdentityProviders[${index}]`;
    const issuer = urlProblem(provider.issuer);
    if (issuer) problems.push(`${where}.issuer ${issuer}`);
    else if (seen.has(provider.issuer)) problems.push(`${where}.issuer is listed twice`);
    seen.add(provider.issuer);
    if (provider.jwksUri !== undefined) {
      const jwks = urlProblem(provider.jwksUri);
      if (jwks) problems.push(`${where}.jwksUri ${jwks}`);
    }
  }
  if (options.identity !== undefined && typeof options.identity !== 'function') {
    problems.push('enterprise.identity must be a function');
  }
  return problems;
}

/** https, or http on loopback only (a local identity provider). */
function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is required';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must be https (http only on localhost or 127.0.0.1)';
}
