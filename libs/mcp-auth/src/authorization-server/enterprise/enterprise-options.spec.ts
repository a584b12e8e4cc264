import { validateEnterpriseOptions } from './enterprise-options';

describe('validateEnterpriseOptions', () => {
  it('accepts no enterprise option and https or loopback http providers', () => {
    expect(validateEnterpriseOptions(undefined)).toEqual([]);
    expect(
      validateEnterpriseOptions({
        trustedIdentityProviders: [
          { issuer: 'https://acme.okta.com/oauth2/default' },
          {
            issuer: 'https://login.microsoftonline.com/tenant-id/v2.0',
            jwksUri: 'https://login.microsoftonline.com/tenant-id/discovery/v2.0/keys',
          },
          { issuer: 'http://127.0.0.1:4444' },
        ],
      }),
    ).toEqual([]);
  });

  it('names every problem', () => {
    expect(
      validateEnterpriseOptions({
        trustedIdentityProviders: [
          { issuer: 'http://idp.example.com' },
          { issuer: 'not a url' },
          { issuer: 'https://idp.example.com', jwksUri: 'ftp://idp.example.com/keys' },
          { issuer: 'https://idp.example.com' },
        ],
        identity: 'x' as never,
      }),
    ).toEqual([
      'enterprise.trustedIdentityProviders[0].issuer must be https (http only on localhost or 127.0.0.1)',
      'enterprise.trustedIdentityProviders[1].issuer must be an absolute URL',
      'enterprise.trustedIdentityProviders[2].jwksUri must be https (http only on localhost or 127.0.0.1)',
      'enterprise.trustedIdentityProviders[3].issuer is listed twice',
      'enterprise.identity must be a function',
    ]);
    expect(validateEnterpriseOptions({ trustedIdentityProviders: 'x' as never })).toEqual([
      'enterprise.trustedIdentityProviders must be a list',
    ]);
  });
});
