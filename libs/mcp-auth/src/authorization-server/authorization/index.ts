export * from './authorization-request.validator';
export * from './authorization-response';
export * from './authorize.controller';
export * from './interaction.controller';
export * from './mcp-authorization.service';
export * from './resource-owner-authenticator.interface';
