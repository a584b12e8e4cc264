import type { OpenApiOperations } from './openapi';
import { FORM, string } from './openapi-operations';

/** The browser's endpoints, for `openApi.include`: HTML pages and form posts, not an API. */
const HTML = ['text/html'] as const;

const INTERACTION_ID = { id: 'The pending authorization, from the authorize redirect.' };
const CSRF = string('The token of the page the form came from.');

const AUTHORIZATION_RESPONSES = {
  302: {
    description:
      'To the login page, or back to the client with an error once its redirect URI is trusted.',
  },
  400: { description: 'An error page: the client or redirect URI could not be trusted.' },
};

/** The authorization endpoint: the browser's, with the parameters of OAuth 2.1 §4.1.1. */
export const AUTHORIZE_OPERATIONS: OpenApiOperations = {
  authorizeGet: {
    summary: 'Authorization request (browser)',
    description:
      'Query parameters: response_type=code, client_id, redirect_uri, code_challenge, code_challenge_method=S256, scope, state, resource, prompt.',
    produces: HTML,
    responses: AUTHORIZATION_RESPONSES,
  },
  authorizePost: {
    summary: 'Authorization request as a form post (browser)',
    description: 'The parameters of the GET form, as an application/x-www-form-urlencoded body.',
    produces: HTML,
    responses: AUTHORIZATION_RESPONSES,
  },
};

export const INTERACTION_OPERATIONS: OpenApiOperations = {
  show: {
    summary: 'Sign-in or consent page',
    description: 'An HTML page for the browser during an authorization, not an API.',
    pathParameters: INTERACTION_ID,
    produces: HTML,
    responses: {
      200: { description: 'The login or consent page.' },
      303: { description: 'Consent already given: back to the client.' },
    },
  },
  login: {
    summary: 'Sign in (form post of the login page)',
    pathParameters: INTERACTION_ID,
    body: {
      mediaTypes: FORM,
      schema: {
        type: 'object',
        required: ['csrf', 'username', 'password'],
        properties: { csrf: CSRF, username: string('User name.'), password: string('Password.') },
      },
    },
    produces: HTML,
    responses: {
      303: { description: 'Signed in: on to the consent page.' },
      401: { description: 'The login page again, with an error.' },
    },
  },
  consent: {
    summary: 'Approve or deny (form post of the consent page)',
    pathParameters: INTERACTION_ID,
    body: {
      mediaTypes: FORM,
      schema: {
        type: 'object',
        required: ['csrf', 'decision'],
        properties: { csrf: CSRF, decision: { type: 'string', enum: ['approve', 'deny'] } },
      },
    },
    produces: HTML,
    responses: {
      303: { description: 'Back to the client with a code or an error.' },
      400: { description: 'An error page.' },
    },
  },
};

/** A form post whose only field is the page's CSRF token. */
const CSRF_ONLY_FORM = {
  mediaTypes: FORM,
  schema: { type: 'object', required: ['csrf'], properties: { csrf: CSRF } },
} as const;

const PROVIDER = { provider: 'The id of an upstream identity provider (`federation.providers`).' };

/** Federation: the browser's trip to an upstream identity provider and back. */
export const FEDERATION_OPERATIONS: OpenApiOperations = {
  federate: {
    summary: 'Approve and sign in upstream (form post of the sign-in page)',
    pathParameters: { ...INTERACTION_ID, ...PROVIDER },
    body: CSRF_ONLY_FORM,
    produces: HTML,
    responses: {
      303: { description: 'To the provider, with state, nonce and a PKCE challenge.' },
      404: { description: 'No such provider.' },
      503: { description: 'The provider could not be discovered.' },
    },
  },
  signInOnPage: {
    summary: 'Sign in upstream to the connected-apps page (form post of its sign-in)',
    pathParameters: PROVIDER,
    body: CSRF_ONLY_FORM,
    produces: HTML,
    responses: {
      303: { description: 'To the provider, with state, nonce and a PKCE challenge.' },
      403: { description: 'A cross-site request, or a missing or wrong CSRF token.' },
      404: { description: 'No such provider, or the connected-apps page is off.' },
      503: { description: 'The provider could not be discovered.' },
    },
  },
  callback: {
    summary: 'Upstream identity provider callback (browser)',
    description: 'Query parameters: code, state, iss, or error.',
    pathParameters: PROVIDER,
    produces: HTML,
    responses: {
      303: {
        description:
          'Back to the client with a code, or with access_denied; or to the connected-apps page.',
      },
      400: { description: 'An error page: unknown, expired, replayed or unverifiable answer.' },
      403: { description: 'Another browser, or the account was refused.' },
      503: { description: 'The provider did not answer in time.' },
    },
  },
};
