import type { MigrationInterface } from 'typeorm';
import { McpAuthInitialSchema1763900000000 } from './1763900000000-initial-schema';
import { McpAuthAuthorizationRequestPrompt1796422273835 } from './1796422273835-authorization-request-prompt';
import { McpAuthRateLimits1796422289850 } from './1796422289850-rate-limits';
import { McpAuthClientMetadataDocuments1796600000000 } from './1796600000000-client-metadata-documents';
import { McpAuthFederationStates1796600100000 } from './1796600100000-federation-states';
import { McpAuthUpstreamTokens1796600200000 } from './1796600200000-upstream-tokens';
import { McpAuthUsedJtis1796600300000 } from './1796600300000-used-jtis';
import { McpAuthGrantListing1796600400000 } from './1796600400000-grant-listing';
import { McpAuthClientListing1796600600000 } from './1796600600000-client-listing';
import { McpAuthFederationStatePurpose1796600700000 } from './1796600700000-federation-state-purpose';

export {
  McpAuthInitialSchema1763900000000,
  McpAuthAuthorizationRequestPrompt1796422273835,
  McpAuthRateLimits1796422289850,
  McpAuthClientMetadataDocuments1796600000000,
  McpAuthFederationStates1796600100000,
  McpAuthUpstreamTokens1796600200000,
  McpAuthUsedJtis1796600300000,
  McpAuthGrantListing1796600400000,
  McpAuthClientListing1796600600000,
  McpAuthFederationStatePurpose1796600700000,
};

/**
 * The module's migrations in order. Listed as classes, not a glob, so the compiler, swc and
 * jest all see the same list, and a host can spread them into its own DataSource.
 */
export const MCP_AUTH_MIGRATIONS: readonly (new () => MigrationInterface)[] = [
  McpAuthInitialSchema1763900000000,
  McpAuthAuthorizationRequestPrompt1796422273835,
  McpAuthRateLimits1796422289850,
  McpAuthClientMetadataDocuments1796600000000,
  McpAuthFederationStates1796600100000,
  McpAuthUpstreamTokens1796600200000,
  McpAuthUsedJtis1796600300000,
  McpAuthGrantListing1796600400000,
  McpAuthClientListing1796600600000,
  McpAuthFederationStatePurpose1796600700000,
];
