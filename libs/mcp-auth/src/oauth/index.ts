export * from './oauth-error';
export * from './oauth-exception.filter';
export * from './pkce';
export * from './redirect-uri';
export * from './resource-uri';
export * from './scope';
export * from './issuer';
export * from './basic-auth';
