export * from './expired-records.purger';
export * from './typeorm-authorization-code.store';
export * from './typeorm-authorization-request.store';
export * from './typeorm-client.store';
export * from './typeorm-consent.store';
export * from './typeorm-grant.store';
export * from './typeorm-signing-key.store';
export * from './typeorm-throttler.storage';
