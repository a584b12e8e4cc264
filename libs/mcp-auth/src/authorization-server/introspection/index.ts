export * from './introspection-response.interface';
export * from './introspection.controller';
export * from './token-introspection.service';
export * from './introspection-options';
