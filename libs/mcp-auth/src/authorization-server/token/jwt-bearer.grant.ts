import { Injectable, Logger } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { McpAuthAudit } from '../../audit/audit.service';
import { McpAuthConfig } from '../../mcp-auth.config';
import { OAuthError } from '../../oauth/oauth-error';
import { canonicalizeResourceUri } from '../../oauth/resource-uri';
import { parseScope } from '../../oauth/scope';
import { SUPPORTED_SIGNING_ALGORITHMS } from '../../oauth/signing-algorithms';
import type { ClientRecord } from '../../storage/client-store.interface';
import { InjectGrantStore, type GrantStore } from '../../storage/grant-store.interface';
import { InjectUsedJtiStore, type UsedJtiStore } from '../../storage/used-jti-store.interface';
import type { FormParameters } from '../client-authentication/form-parameters';
import type {
  IdentityAssertionDecision,
  TrustedIdentityProvider,
} from '../enterprise/enterprise-options';
import { TrustedIssuerKeys } from '../enterprise/trusted-issuer-keys';
import { JWT_BEARER_GRANT_TYPE } from '../registration/client-metadata.interface';
import { machineScopes } from './machine-scopes';
import type { TokenGrant } from './token-grant.interface';
import { auditedTokens, TokenIssuanceService } from './token-issuance.service';
import type { TokenResponse } from './token-response.interface';

/** `typ` of an Identity Assertion JWT Authorization Grant (RFC 8725 explicit typing). */
export const ID_JAG_TYPE = 'oauth-id-jag+jwt';
const MAX_ASSERTION_LENGTH = 16 * 1024;
/** An ID-JAG is redeemed right after it is minted: it may not live longer than this. */
const MAX_LIFETIME_SECONDS = 600;
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with an ID-JAG (MCP
 * Enterprise-Managed Authorization; RFC 7523 §2.1, RFC 7521 §5.2): the company's identity
 * provider has decided the user may use this server through this client. Checked: explicit
 * `typ`, a trusted issuer and its signature, `aud` = our issuer, `client_id` = the
 * authenticated client, `resource` one of ours, a short `exp`/`iat` window, `jti` used once,
 * scopes within the client's and the operator's limits; then the host may map or refuse the
 * user. No consent page (the provider's policy is the consent) and no refresh token; a grant
 * is recorded so the token shows in listings and can be revoked.
 */
@Injectable()
export class JwtBearerGrant implements TokenGrant {
  readonly grantType = JWT_BEARER_GRANT_TYPE;
  private readonly logger = new Logger('McpAuthEnterprise');

  constructor(
    private readonly config: McpAuthConfig,
    private readonly issuance: TokenIssuanceService,
    private readonly keys: TrustedIssuerKeys,
    @InjectGrantStore() private readonly grants: GrantStore,
    @InjectUsedJtiStore() private readonly usedJtis: UsedJtiStore,
    private readonly audit: McpAuthAudit,
  ) {}

  async exchange(client: ClientRecord, params: FormParameters): Promise<TokenResponse> {
    if (client.tokenEndpointAuthMethod === 'none') {
      throw OAuthError.unauthorizedClient('Only clients that authenticate may redeem an ID-JAG.');
    }
    const assertion = params.require('assertion', { maxLength: MAX_ASSERTION_LENGTH });
    const provider = this.trustedIssuerOf(assertion);
    if (provider.clients && !provider.clients.includes(client.clientId)) {
      throw OAuthError.invalidGrant('This client may not redeem ID-JAGs of that issuer.');
    }
    const claims = await this.verify(assertion, provider);
    if (claims.client_id !== client.clientId) {
      throw OAuthError.invalidGrant('The ID-JAG was issued to another client.');
    }
    const uri =
      typeof claims.resource === 'string' ? canonicalizeResourceUri(claims.resource) : null;
    const resource = uri ? this.config.findResource(uri) : undefined;
    // The administration API is not for users, however they were asserted.
    if (!resource || resource.administration) {
      throw OAuthError.invalidTarget('The ID-JAG is for a resource not served here.');
    }
    const scopes = machineScopes(parseScopeClaim(claims.scope), client, resource, provider.scopes);
    const exp = claims.exp as number;
    const expiresAt = new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000);
    if (!(await this.usedJtis.use(`id-jag:${provider.issuer}`, claims.jti as string, expiresAt))) {
      throw OAuthError.invalidGrant('The ID-JAG has been used already.');
    }
    const subject = await this.subjectOf(provider, claims, client);
    const grant = await this.grants.createGrant({
      clientId: client.clientId,
      subject,
      scopes,
      resource: resource.uri,
      expiresAt: new Date(Date.now() + this.config.accessTokenTtl * 1000),
    });
    const issued = {
      grantId: grant.id,
      clientId: client.clientId,
      subject,
      scopes,
      resource: resource.uri,
    };
    const response = await this.issuance.respond(issued, undefined);
    this.audit.emit({
      type: 'token.issued',
      grant_type: this.grantType,
      ...auditedTokens(issued),
      refresh_token: false,
      provider: provider.issuer,
    });
    return response;
  }

  /** The trusted provider that issued the assertion, read before any key is fetched. */
  private trustedIssuerOf(assertion: string): TrustedIdentityProvider {
    let issuer: unknown;
    try {
      // RFC 7515 §4.1.9: `application/` may be left out of a media type, so both spellings count.
      const typ = decodeProtectedHeader(assertion)
        .typ?.toLowerCase()
        .replace(/^application\//, '');
      if (typ !== ID_JAG_TYPE) {
        throw OAuthError.invalidGrant(`The assertion is not an ID-JAG (typ ${ID_JAG_TYPE}).`);
      }
      issuer = decodeJwt(assertion).iss;
    } catch (error) {
      if (error instanceof OAuthError) throw error;
      throw OAuthError.invalidGrant('The assertion is not a JWT.');
    }
    const provider = this.config.enterprise.trustedIdentityProviders.find(
      (candidate) => candidate.issuer === issuer,
    );
    if (!provider) throw OAuthError.invalidGrant('The ID-JAG issuer is not trusted here.');
    return provider;
  }

  private async verify(
    assertion: string,
    provider: TrustedIdentityProvider,
  ): Promise<Record<string, unknown>> {
    let keys;
    try {
      keys = await this.keys.of(provider);
    } catch (error) {
      this.logger.warn(`${provider.issuer}: keys unavailable: ${(error as Error).message}`);
      throw OAuthError.temporarilyUnavailable('The identity provider keys are unavailable.', {
        retryAfterSeconds: 5,
      });
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, keys, {
        issuer: provider.issuer,
        audience: this.config.issuer,
        typ: ID_JAG_TYPE,
        algorithms: [...SUPPORTED_SIGNING_ALGORITHMS],
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id', 'resource'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: MAX_LIFETIME_SECONDS,
      }));
    } catch (error) {
      if (isKeyFetchFailure(error)) {
        // The provider's keys cannot be had now: not the assertion's fault, retry later.
        this.logger.warn(`${provider.issuer}: keys unavailable: ${(error as Error).message}`);
        throw OAuthError.temporarilyUnavailable('The identity provider keys are unavailable.', {
          retryAfterSeconds: 5,
        });
      }
      const reason = error instanceof joseErrors.JOSEError ? error.code : 'invalid';
      throw OAuthError.invalidGrant(`The ID-JAG is not valid (${reason}).`);
    }
    const now = Math.floor(Date.now() / 1000);
    if ((payload.exp as number) - now > MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
      throw OAuthError.invalidGrant('The ID-JAG lives too long.');
    }
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) {
      throw OAuthError.invalidGrant('The ID-JAG has no usable jti.');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw OAuthError.invalidGrant('The ID-JAG has no subject.');
    }
    return payload;
  }

  private async subjectOf(
    provider: TrustedIdentityProvider,
    claims: Record<string, unknown>,
    client: ClientRecord,
  ): Promise<string> {
    const hook = this.config.enterprise.identity;
    const decision: IdentityAssertionDecision = hook
      ? await hook({
          issuer: provider.issuer,
          subject: claims.sub as string,
          clientId: client.clientId,
          claims: Object.freeze({ ...claims }),
        })
      : { action: 'accept' };
    if (decision.action === 'refuse') throw OAuthError.invalidGrant(decision.reason);
    return decision.subject ?? (claims.sub as string);
  }
}

/** jose's remote key set could not fetch: a timeout, a network error or a non-200 answer. */
function isKeyFetchFailure(error: unknown): boolean {
  if (error instanceof joseErrors.JWKSTimeout) return true;
  if (error instanceof joseErrors.JOSEError) {
    return (
      error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set HTTP response/.test(error.message)
    );
  }
  // fetch's own failures (TypeError "fetch failed", AbortError), possibly from another realm.
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TypeError' || name === 'AbortError' || name === 'TimeoutError';
}

/** The ID-JAG `scope` claim: a space-separated string (RFC 6749 §3.3). */
function parseScopeClaim(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') throw OAuthError.invalidGrant('The ID-JAG scope is malformed.');
  try {
    return parseScope(value);
  } catch {
    throw OAuthError.invalidGrant('The ID-JAG scope is malformed.');
  }
}
