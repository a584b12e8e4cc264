/** JWS algorithms the authorization server signs access tokens with. */
export type SigningAlgorithm = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';

export const SUPPORTED_SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [
  'ES256',
  'ES384',
  'RS256',
  'PS256',
  'EdDSA',
];
