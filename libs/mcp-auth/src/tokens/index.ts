export * from './access-token-claims.interface';
export * from './access-token-verifier';
export * from './access-token.service';
export * from './invalid-access-token.error';
export * from './random-token';
export * from './secret-hash';
export * from './signing-key.service';
