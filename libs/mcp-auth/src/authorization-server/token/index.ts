export * from './authorization-code.grant';
export * from './refresh-token.grant';
export * from './requested-resource';
export * from './token-grant.interface';
export * from './token-issuance.service';
export * from './token-response.interface';
export * from './token.controller';
