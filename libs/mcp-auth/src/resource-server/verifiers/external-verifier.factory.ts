import type { AccessTokenVerifier } from '../access-token-verifier.interface';
import type { ResourceServerConfig } from '../resource-server.config';
import type { ResourceServerModuleOptions } from '../resource-server-options.interface';
import { IntrospectionTokenVerifier } from './introspection-token.verifier';
import { RemoteJwksTokenVerifier } from './remote-jwks-token.verifier';

/** The verifier `options.verifier` names, in front of the configured authorization servers. */
export function createExternalVerifier(
  options: ResourceServerModuleOptions,
  config: ResourceServerConfig,
): AccessTokenVerifier {
  const verifier = options.verifier;
  const common = { issuers: config.authorizationServers, clockTolerance: config.clockTolerance };
  switch (verifier?.type) {
    case 'jwks':
      return new RemoteJwksTokenVerifier({ ...verifier, ...common });
    case 'introspection':
      return new IntrospectionTokenVerifier({ ...verifier, ...common });
    case 'custom':
      throw new Error(
        'McpResourceServerModule: verifier "custom" needs extraProviders: [{ provide: AccessTokenVerifier, useClass: ... }]',
      );
    default:
      throw new Error(
        'McpResourceServerModule: verifier.type must be "jwks", "introspection" or "custom"',
      );
  }
}
