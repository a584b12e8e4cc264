import type { JsonObject } from '../../outbound/outbound.types';
import { MAX_REDIRECT_URIS } from '../registration/register-client.dto';
import {
  InvalidClientMetadataDocument,
  validateClientMetadataDocument,
} from './client-metadata-document.validator';

const URL_ID = 'https://app.example.com/oauth/client.json';
const CALLBACK = 'http://127.0.0.1:3000/callback';
const rules = { scopesSupported: ['mcp:tools', 'mcp:resources', 'offline_access'] };

/** The smallest acceptable document; each test changes one thing. */
function doc(overrides: Record<string, unknown> = {}): JsonObject {
  return {
    client_id: URL_ID,
    client_name: 'Example Agent',
    redirect_uris: [CALLBACK],
    ...overrides,
  };
}

/** The reason a document is refused; fails the test when it is accepted. */
function refusal(document: JsonObject, url = URL_ID): string {
  try {
    validateClientMetadataDocument(url, document, rules);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidClientMetadataDocument);
    expect((error as Error).name).toBe('InvalidClientMetadataDocument');
    return (error as Error).message;
  }
  throw new Error('expected the document to be refused');
}

const accept = (document: JsonObject) => validateClientMetadataDocument(URL_ID, document, rules);

describe('validateClientMetadataDocument (AS-11)', () => {
  it('turns the smallest document into public-client metadata with the registration defaults', () => {
    expect(accept(doc())).toEqual({
      redirect_uris: [CALLBACK],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'web',
      client_name: 'Example Agent',
    });
  });

  it('keeps the RFC 7591 members it knows, with their values', () => {
    expect(
      accept(
        doc({
          application_type: 'native',
          redirect_uris: ['com.example.agent:/callback', CALLBACK],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          scope: 'mcp:tools offline_access',
          client_uri: 'https://app.example.com',
          logo_uri: 'https://app.example.com/logo.png',
          tos_uri: 'https://app.example.com/tos',
          policy_uri: 'https://app.example.com/privacy',
          contacts: ['ops@example.com'],
          software_id: 'agent',
          software_version: '1.2.3',
        }),
      ),
    ).toEqual({
      redirect_uris: ['com.example.agent:/callback', CALLBACK],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      application_type: 'native',
      scope: 'mcp:tools offline_access',
      client_name: 'Example Agent',
      client_uri: 'https://app.example.com',
      logo_uri: 'https://app.example.com/logo.png',
      tos_uri: 'https://app.example.com/tos',
      policy_uri: 'https://app.example.com/privacy',
      contacts: ['ops@example.com'],
      software_id: 'agent',
      software_version: '1.2.3',
    });
  });

  describe('client_id must be the URL it was fetched from, byte for byte', () => {
    const message = 'its client_id is not exactly the URL it was fetched from';

    it.each([
      ['another case in the host', 'https://APP.example.com/oauth/client.json'],
      ['another case in the scheme', 'HTTPS://app.example.com/oauth/client.json'],
      ['another case in the path', 'https://app.example.com/oauth/Client.json'],
      ['a trailing slash', `${URL_ID}/`],
      ['an explicit default port', 'https://app.example.com:443/oauth/client.json'],
      ['a percent-encoded character', 'https://app.example.com/oauth/client%2Ejson'],
      ['another document', 'https://app.example.com/oauth/other.json'],
      ['an empty string', ''],
    ])('refuses %s', (_case, clientId) => {
      expect(refusal(doc({ client_id: clientId }))).toBe(message);
    });

    it.each([
      ['missing', undefined],
      ['null', null],
      ['a number', 42],
      ['a list holding the URL', [URL_ID]],
      ['an object', { href: URL_ID }],
    ])('refuses a client_id that is %s', (_case, clientId) => {
      const document = doc();
      if (clientId === undefined) delete document.client_id;
      else document.client_id = clientId;
      expect(refusal(document)).toBe(message);
    });

    it('compares with the URL as the caller presents it', () => {
      const upper = 'HTTPS://app.example.com/oauth/client.json';
      expect(validateClientMetadataDocument(upper, doc({ client_id: upper }), rules)).toMatchObject(
        { client_name: 'Example Agent' },
      );
      expect(refusal(doc(), upper)).toBe(message);
    });
  });

  describe('client_name is required', () => {
    it.each([
      ['missing', undefined],
      ['null', null],
      ['empty', ''],
      ['only whitespace', ' \t\n '],
      ['a number', 7],
      ['a list', ['Example Agent']],
    ])('refuses a client_name that is %s', (_case, name) => {
      const document = doc();
      if (name === undefined) delete document.client_name;
      else document.client_name = name;
      expect(refusal(document)).toBe('it has no client_name');
    });

    it('still applies the registration rules to the name', () => {
      expect(refusal(doc({ client_name: 'x'.repeat(201) }))).toMatch(/client_name/);
    });
  });

  describe('redirect_uris are required and checked by the registration rules (AS-14)', () => {
    it('refuses a document without redirect_uris', () => {
      const document = doc();
      delete document.redirect_uris;
      expect(refusal(document)).toBe('it has no redirect_uris');
    });

    it('refuses null, an empty list and a non-list', () => {
      expect(refusal(doc({ redirect_uris: null }))).toBe('redirect_uris is required');
      expect(refusal(doc({ redirect_uris: [] }))).toMatch(/redirect_uris/);
      expect(refusal(doc({ redirect_uris: CALLBACK }))).toMatch(/redirect_uris/);
    });

    it.each([
      [
        'http on a host other than loopback',
        'http://app.example.com/callback',
        'redirect_uris[0]: redirect URI must use https, or http on localhost, 127.0.0.1 or [::1]',
      ],
      [
        'a fragment',
        'https://app.example.com/callback#top',
        'redirect_uris[0]: redirect URI must not contain a fragment (RFC 6749 section 3.1.2)',
      ],
      [
        'a javascript: URI',
        'javascript:alert(1)',
        "redirect_uris[0]: redirect URI scheme 'javascript' is not allowed",
      ],
      [
        'a private-use scheme for a web client',
        'com.example.agent:/callback',
        'redirect_uris[0]: private-use URI schemes are only allowed for native clients',
      ],
    ])('refuses %s', (_case, uri, message) => {
      expect(refusal(doc({ redirect_uris: [uri] }))).toBe(message);
    });

    it('names the offending URI by its index', () => {
      expect(
        refusal(
          doc({ redirect_uris: [CALLBACK, 'https://ok.example/cb', 'http://evil.example/'] }),
        ),
      ).toMatch(/^redirect_uris\[2\]: /);
    });

    it(`refuses more than ${MAX_REDIRECT_URIS} redirect URIs`, () => {
      const many = (count: number) =>
        Array.from({ length: count }, (_, i) => `http://127.0.0.1:${3000 + i}/callback`);
      expect(accept(doc({ redirect_uris: many(MAX_REDIRECT_URIS) })).redirect_uris).toHaveLength(
        MAX_REDIRECT_URIS,
      );
      expect(refusal(doc({ redirect_uris: many(MAX_REDIRECT_URIS + 1) }))).toMatch(/redirect_uris/);
    });
  });

  describe('a public document holds no shared secret', () => {
    it.each([
      ['client_secret', 'a-sufficiently-long-client-secret'],
      ['client_secret', ''],
      ['client_secret_expires_at', 0],
      ['client_secret_expires_at', 1893456000],
    ])('refuses a document containing %s (%p)', (member, value) => {
      expect(refusal(doc({ [member]: value }))).toBe(
        `it contains ${member}; a public document cannot`,
      );
    });

    it('refuses the secret even with token_endpoint_auth_method none', () => {
      expect(
        refusal(doc({ token_endpoint_auth_method: 'none', client_secret: 'x'.repeat(32) })),
      ).toBe('it contains client_secret; a public document cannot');
    });
  });

  describe('token_endpoint_auth_method', () => {
    it.each([
      ['absent', undefined],
      ['null', null],
      ['none', 'none'],
    ])('accepts it %s, and records none', (_case, method) => {
      const document = doc();
      if (method !== undefined) document.token_endpoint_auth_method = method;
      expect(accept(document).token_endpoint_auth_method).toBe('none');
    });

    it.each(['client_secret_basic', 'client_secret_post', 'client_secret_jwt'])(
      'refuses %s, which needs a shared secret',
      (method) => {
        expect(refusal(doc({ token_endpoint_auth_method: method }))).toBe(
          `token_endpoint_auth_method ${method} relies on a shared secret, which a metadata document cannot hold`,
        );
      },
    );

    it.each(['tls_client_auth', 'self_signed_tls_client_auth', 'NONE', ''])(
      'refuses the unknown method %p',
      (method) => {
        expect(refusal(doc({ token_endpoint_auth_method: method }))).toBe(
          `token_endpoint_auth_method ${method} is not supported (use none or private_key_jwt)`,
        );
      },
    );

    it.each([[5], [true], [['none']], [{ method: 'none' }]])(
      'refuses a method that is not a string (%p)',
      (method) => {
        expect(refusal(doc({ token_endpoint_auth_method: method }))).toBe(
          'token_endpoint_auth_method must be a string',
        );
      },
    );

    describe('private_key_jwt', () => {
      const jwt = (members: Record<string, unknown>) =>
        doc({ token_endpoint_auth_method: 'private_key_jwt', ...members });
      const keySet = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };

      it('needs exactly one of jwks and jwks_uri', () => {
        const message = 'private_key_jwt needs exactly one of jwks and jwks_uri';
        expect(refusal(jwt({}))).toBe(message);
        expect(refusal(jwt({ jwks: keySet, jwks_uri: 'https://app.example.com/jwks.json' }))).toBe(
          message,
        );
      });

      it.each([
        ['an empty keys list', { keys: [] }],
        ['keys that are not a list', { keys: { kty: 'EC' } }],
        ['no keys member', {}],
        ['a bare list of keys', [{ kty: 'EC' }]],
        ['a string', 'keys'],
        ['null', null],
      ])('refuses jwks with %s', (_case, jwks) => {
        expect(refusal(jwt({ jwks }))).toBe('jwks must be a JWK Set with a keys list');
      });

      it.each([
        ['http', 'http://app.example.com/jwks.json'],
        ['relative', '/jwks.json'],
        ['without a host', 'https:///jwks.json'],
        ['not a string', 42],
      ])('refuses a jwks_uri that is %s', (_case, jwksUri) => {
        expect(refusal(jwt({ jwks_uri: jwksUri }))).toBe('jwks_uri must be an https URL');
      });

      it.each([
        ['jwks', { jwks: keySet }],
        ['jwks_uri', { jwks_uri: 'https://app.example.com/jwks.json' }],
      ])('accepts a well-formed document with %s, keeping the keys', (_case, members) => {
        expect(accept(jwt(members))).toMatchObject({
          token_endpoint_auth_method: 'private_key_jwt',
          ...members,
        });
      });
    });
  });

  describe('grant_types and response_types: what this server does not offer is left out', () => {
    it('drops grant types it does not implement', () => {
      expect(
        accept(
          doc({
            grant_types: [
              'authorization_code',
              'urn:ietf:params:oauth:grant-type:device_code',
              'refresh_token',
              'client_credentials',
            ],
          }),
        ).grant_types,
      ).toEqual(['authorization_code', 'refresh_token']);
    });

    it('drops response types it does not implement', () => {
      expect(accept(doc({ response_types: ['code', 'token', 'id_token'] })).response_types).toEqual(
        ['code'],
      );
    });

    it('keeps the defaults when the members are absent or null', () => {
      const metadata = accept(doc({ grant_types: null, response_types: null }));
      expect(metadata.grant_types).toEqual(['authorization_code', 'refresh_token']);
      expect(metadata.response_types).toEqual(['code']);
    });

    it('refuses a list that names nothing this server supports', () => {
      expect(refusal(doc({ grant_types: ['client_credentials', 'implicit'] }))).toBe(
        'grant_types lists nothing this server supports (authorization_code, refresh_token)',
      );
      expect(refusal(doc({ grant_types: [] }))).toBe(
        'grant_types lists nothing this server supports (authorization_code, refresh_token)',
      );
      expect(refusal(doc({ response_types: ['token'] }))).toBe(
        'response_types lists nothing this server supports (code)',
      );
    });

    it('refuses grant types without authorization_code', () => {
      expect(refusal(doc({ grant_types: ['refresh_token', 'client_credentials'] }))).toBe(
        'grant_types must include authorization_code',
      );
    });

    it.each([
      ['grant_types', 'authorization_code'],
      ['grant_types', ['authorization_code', 7]],
      ['response_types', { 0: 'code' }],
      ['response_types', ['code', null]],
    ])('refuses %s that is not a list of strings (%p)', (member, value) => {
      expect(refusal(doc({ [member]: value }))).toBe(`${member} must be a list of strings`);
    });
  });

  describe('scope: unknown scopes are left out', () => {
    it('keeps only the scopes this server knows, in order', () => {
      expect(accept(doc({ scope: 'profile mcp:resources email mcp:tools  mcp:tools' })).scope).toBe(
        'mcp:resources mcp:tools',
      );
    });

    it.each([
      ['only unknown scopes', 'openid profile'],
      ['an empty string', ''],
      ['only spaces', '   '],
      ['null', null],
    ])('leaves scope absent for %s', (_case, scope) => {
      expect(accept(doc({ scope }))).not.toHaveProperty('scope');
    });

    it.each([
      ['a quote', 'mcp:tools "x"'],
      ['a backslash', 'mcp:tools a\\b'],
      ['a tab', 'mcp:tools\toffline_access'],
      ['non-ASCII', 'mcp:tools ümlaut'],
    ])('refuses a scope containing %s', (_case, scope) => {
      expect(refusal(doc({ scope }))).toBe('scope is malformed');
    });

    it.each([[['mcp:tools']], [42], [{ scope: 'mcp:tools' }]])(
      'refuses a scope that is not a string (%p)',
      (scope) => {
        expect(refusal(doc({ scope }))).toBe('scope must be a space-separated string');
      },
    );
  });

  describe('unknown members', () => {
    it('ignores members it does not understand, never storing them', () => {
      const metadata = accept(
        doc({
          client_id_issued_at: 1,
          software_statement: 'eyJ...',
          post_logout_redirect_uris: ['https://app.example.com/bye'],
          'x-custom': { nested: true },
        }),
      );
      expect(metadata).toEqual(accept(doc()));
    });

    it('treats a "__proto__" member as plain data', () => {
      const document = JSON.parse(
        JSON.stringify(doc()).replace(
          '{',
          '{"__proto__":{"token_endpoint_auth_method":"client_secret_basic","client_secret":"s","scope":"admin","client_uri":"https://evil.example"},',
        ),
      ) as JsonObject;
      expect(Object.prototype.hasOwnProperty.call(document, '__proto__')).toBe(true);
      expect(accept(document)).toEqual(accept(doc()));
      expect(({} as Record<string, unknown>).token_endpoint_auth_method).toBeUndefined();
      expect(({} as Record<string, unknown>).client_secret).toBeUndefined();
    });

    it('never reads required members from a "__proto__" member', () => {
      const document = JSON.parse(
        `{"__proto__":${JSON.stringify(doc())},"redirect_uris":["${CALLBACK}"]}`,
      ) as JsonObject;
      expect(refusal(document)).toBe('its client_id is not exactly the URL it was fetched from');
    });
  });
});
