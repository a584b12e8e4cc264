import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { ContactRecorder, type ContactStatus } from '../../oauth/contact-status';
import type { TrustedIdentityProvider } from './enterprise-options';

const DISCOVERY_TIMEOUT_MS = 5_000;

/**
 * Signing keys of the trusted identity providers: jose's remote key sets (cached, refetched on
 * an unknown `kid` at most every 30 s, so the providers' rotation is followed), found from the
 * configured `jwksUri` or the provider's discovery document.
 */
@Injectable()
export class TrustedIssuerKeys {
  private readonly keys = new Map<string, Promise<JWTVerifyGetKey>>();
  /** Per issuer: the last discovery and key fetch, for the administration API. */
  private readonly contacts = new Map<string, ContactRecorder>();

  /** How discovery and key lookups of this issuer last went (nothing yet: all null). */
  status(issuer: string): ContactStatus {
    return this.contact(issuer).status;
  }

  of(provider: TrustedIdentityProvider): Promise<JWTVerifyGetKey> {
    let keys = this.keys.get(provider.issuer);
    if (!keys) {
      keys = this.load(provider).catch((error: unknown) => {
        this.keys.delete(provider.issuer);
        throw error;
      });
      this.keys.set(provider.issuer, keys);
    }
    return keys;
  }

  private async load(provider: TrustedIdentityProvider): Promise<JWTVerifyGetKey> {
    const contact = this.contact(provider.issuer);
    let jwksUri: string;
    try {
      jwksUri = provider.jwksUri ?? (await discoverJwksUri(provider.issuer));
    } catch (error) {
      contact.failed(error);
      throw error;
    }
    const keys = createRemoteJWKSet(new URL(jwksUri));
    // Records each key lookup's outcome; a kid the set lacks is the assertion's fault, not theirs.
    return async (header, token) => {
      try {
        const key = await keys(header, token);
        contact.succeeded();
        return key;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_JWKS_NO_MATCHING_KEY')
          contact.failed(error);
        throw error;
      }
    };
  }

  private contact(issuer: string): ContactRecorder {
    let contact = this.contacts.get(issuer);
    if (!contact) this.contacts.set(issuer, (contact = new ContactRecorder()));
    return contact;
  }
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const base = issuer.replace(/\/+$/, '');
  for (const path of [
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server',
  ]) {
    const response = await fetch(`${base}${path}`, {
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      redirect: 'error',
    }).catch(() => undefined);
    if (!response?.ok) continue;
    const document = (await response.json().catch(() => undefined)) as
      { issuer?: unknown; jwks_uri?: unknown } | undefined;
    if (document?.issuer === issuer && typeof document.jwks_uri === 'string') {
      return document.jwks_uri;
    }
  }
  throw new Error(`no jwks_uri could be discovered for ${issuer}`);
}
