/** Absolute URLs of every endpoint, as advertised in metadata. */
export interface EndpointUrls {
  authorization: string;
  token: string;
  registration: string;
  revocation: string;
  introspection: string;
  jwks: string;
  interaction: string;
  /** Base of the upstream callbacks: `<base>/<provider id>/callback`. */
  federation: string;
}

/** Relative paths (under the route prefix) the controllers are mounted on. */
export const ENDPOINT_PATHS = {
  authorization: 'authorize',
  token: 'token',
  registration: 'register',
  revocation: 'revoke',
  introspection: 'introspect',
  interaction: 'interaction',
  federation: 'federation',
} as const;

/** `routePrefix` with one leading `/` and no trailing one; '' for none. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}

/** Every endpoint's URL, from the issuer and the normalized route prefix. */
export function endpointUrls(issuer: string, routePrefix: string): EndpointUrls {
  const base = `${issuer}${routePrefix}`;
  return {
    authorization: `${base}/${ENDPOINT_PATHS.authorization}`,
    token: `${base}/${ENDPOINT_PATHS.token}`,
    registration: `${base}/${ENDPOINT_PATHS.registration}`,
    revocation: `${base}/${ENDPOINT_PATHS.revocation}`,
    introspection: `${base}/${ENDPOINT_PATHS.introspection}`,
    interaction: `${base}/${ENDPOINT_PATHS.interaction}`,
    federation: `${base}/${ENDPOINT_PATHS.federation}`,
    jwks: `${issuer}/.well-known/jwks.json`,
  };
}
