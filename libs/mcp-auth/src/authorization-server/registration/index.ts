export * from './client-metadata.constraints';
export * from './client-metadata.interface';
export * from './client-record.mapper';
export * from './client-registration.controller';
export * from './client-registration.service';
export * from './register-client.dto';
export * from './static-clients.loader';
export * from './validate-client-metadata';
