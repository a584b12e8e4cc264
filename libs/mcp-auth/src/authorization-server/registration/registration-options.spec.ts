import {
  type StaticClientOptions,
  validateClientRegistrationOptions,
} from './registration-options';

const client = (overrides: Partial<StaticClientOptions> = {}): StaticClientOptions => ({
  client_id: 'static-client',
  redirect_uris: ['https://app.example.com/callback'],
  ...overrides,
});

describe('validateClientRegistrationOptions', () => {
  describe('registration', () => {
    it('accepts the defaults and secrets that never expire', () => {
      expect(validateClientRegistrationOptions({})).toEqual([]);
      expect(validateClientRegistrationOptions({ registration: { clientSecretTtl: 0 } })).toEqual(
        [],
      );
    });

    it('refuses a negative clientSecretTtl', () => {
      expect(validateClientRegistrationOptions({ registration: { clientSecretTtl: -1 } })).toEqual([
        'registration.clientSecretTtl must be 0 (never expires) or a positive number',
      ]);
    });
  });

  describe('static clients (AS-12)', () => {
    it('accepts public and confidential clients; a secret alone implies client_secret_basic', () => {
      expect(
        validateClientRegistrationOptions({
          clients: [
            client({ client_id: 'public', token_endpoint_auth_method: 'none' }),
            client({ client_id: 'implicit-basic', client_secret: 's'.repeat(16) }),
            client({
              client_id: 'post',
              client_secret: 's'.repeat(16),
              token_endpoint_auth_method: 'client_secret_post',
            }),
          ],
        }),
      ).toEqual([]);
    });

    it('names every problem of every client by index', () => {
      expect(
        validateClientRegistrationOptions({
          clients: [
            client({ client_id: '' }),
            client({ client_id: 'twice' }),
            client({ client_id: 'twice' }),
            client({ client_id: 'no-uris', redirect_uris: [] }),
            client({
              client_id: 'jwt',
              token_endpoint_auth_method: 'private_key_jwt' as never,
            }),
            client({
              client_id: 'public-with-secret',
              token_endpoint_auth_method: 'none',
              client_secret: 's'.repeat(16),
            }),
            client({
              client_id: 'basic-no-secret',
              token_endpoint_auth_method: 'client_secret_basic',
            }),
            client({ client_id: 'short', client_secret: 'short' }),
          ],
        }),
      ).toEqual([
        'clients[0].client_id is required',
        'clients[2].client_id "twice" is configured twice',
        'clients[3].redirect_uris must list at least one URI',
        'clients[4] uses private_key_jwt and needs exactly one of jwks and jwks_uri',
        'clients[5] uses none but has a client_secret',
        'clients[6] uses client_secret_basic but has no client_secret',
        'clients[7].client_secret must be at least 16 characters',
      ]);
    });

    it('AS-11: refuses a client_id that is a URL, which names a metadata document', () => {
      expect(
        validateClientRegistrationOptions({
          clients: [
            client({ client_id: 'https://app.example.com/client.json' }),
            client({ client_id: 'http://app.example.com/client.json' }),
            client({ client_id: 'HTTPS://app.example.com/client.json' }),
            client({ client_id: 'Http:client' }),
          ],
        }),
      ).toEqual([
        'clients[0].client_id must not be a URL (URLs are metadata document client ids)',
        'clients[1].client_id must not be a URL (URLs are metadata document client ids)',
        'clients[2].client_id must not be a URL (URLs are metadata document client ids)',
        'clients[3].client_id must not be a URL (URLs are metadata document client ids)',
      ]);
    });

    it('AS-11: accepts ids that only contain a scheme name', () => {
      expect(
        validateClientRegistrationOptions({
          clients: [
            client({ client_id: 'my-https://client' }),
            client({ client_id: 'https-client' }),
            client({ client_id: 'app.example.com/client.json' }),
          ],
        }),
      ).toEqual([]);
    });
  });
});
