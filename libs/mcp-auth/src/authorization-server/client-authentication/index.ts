export * from './authenticated-client.interface';
export * from './client-authenticator.service';
export * from './form-parameters';
