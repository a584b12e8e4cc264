export * from './access-token-claims.interface';
export * from './access-token.validator';
export * from './access-token.issuer';
export * from './invalid-access-token.error';
export * from './random-token';
export * from './secret-hash';
export * from './signing-key.service';
