export * from './revocation.controller';
export * from './token-revocation.service';
