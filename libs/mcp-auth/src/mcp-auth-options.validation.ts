import type { McpAuthModuleOptions } from './mcp-auth-options.interface';
import { validateRateLimitOptions } from './abuse/rate-limit.config';
import {
  administrationConflicts,
  validateAdministrationOptions,
} from './administration/administration-options';
import { validateAuditOptions } from './audit/audit-options';
import { validateAuthorizationInteractionOptions } from './authorization-server/authorization/interaction-options';
import { validateClientMetadataDocumentOptions } from './authorization-server/client-metadata-document/client-metadata-document-options';
import { validateEnterpriseOptions } from './authorization-server/enterprise/enterprise-options';
import {
  DEFAULT_CONNECTED_APPS_PATH,
  validateConnectedAppsOptions,
} from './connected-apps/connected-apps-options';
import { validateFederationOptions } from './federation/federation-options';
import { validateIntrospectionOptions } from './authorization-server/introspection/introspection-options';
import { validateClientRegistrationOptions } from './authorization-server/registration/registration-options';
import { validateOpenApiOptions } from './http/openapi-options';
import { validateLifecycleOptions } from './lifecycle/lifecycle-options';
import { ENDPOINT_PATHS, normalizePrefix } from './mcp-auth.endpoints';
import { validateIssuer } from './oauth/issuer';
import { normalizePath } from './oauth/resource-path';
import { isValidScopeToken } from './oauth/scope';
import { validateStorageOptions } from './storage/storage-options';
import { validateTokenOptions } from './tokens/token-options';

/** Every problem with the options, part by part; [] when they are valid. */
export function validateModuleOptions(options: McpAuthModuleOptions): string[] {
  if (typeof options?.issuer !== 'string') {
    return ['issuer is required: the absolute https URL clients reach this server at'];
  }
  return [
    ...validateRootOptions(options),
    ...validateTokenOptions(options.tokens),
    ...validateAuthorizationInteractionOptions(options),
    ...validateStorageOptions(options.storage),
    ...validateLifecycleOptions(options),
    ...validateClientRegistrationOptions(options),
    ...validateRateLimitOptions(options.rateLimit),
    ...validateClientMetadataDocumentOptions(options.clientMetadataDocuments),
    ...validateFederationOptions(options.federation),
    ...validateEnterpriseOptions(options.enterprise),
    ...validateIntrospectionOptions(options.introspection),
    ...validateOpenApiOptions(options.openApi),
    ...validateAuditOptions(options.audit),
    ...validateConnectedAppsOptions(options.connectedApps),
    ...validateAdministrationOptions(options.administration),
    ...administrationPathProblems(options),
  ];
}

/** The administration API against the rest (scope, paths): see `administrationConflicts`. */
function administrationPathProblems(options: McpAuthModuleOptions): string[] {
  if (!options.administration || validateAdministrationOptions(options.administration).length) {
    return [];
  }
  const routePrefix = normalizePrefix(options.routePrefix ?? '');
  const resources = Array.isArray(options.resources)
    ? options.resources
        .filter((r) => typeof r?.path === 'string')
        .map((r) => ({
          path: normalizePath(r.path),
          scopes: Array.isArray(r.scopes) ? r.scopes : [],
        }))
    : [];
  const connectedApps = options.connectedApps;
  return administrationConflicts(options.administration, {
    issuer: options.issuer,
    routePrefix,
    scopes: options.scopes ?? {},
    resources,
    endpointPaths: Object.values(ENDPOINT_PATHS).map((name) => `${routePrefix}/${name}`),
    connectedAppsPath:
      connectedApps?.enabled === false
        ? undefined
        : normalizePath(connectedApps?.path ?? `${routePrefix}${DEFAULT_CONNECTED_APPS_PATH}`),
  });
}

/** What shapes the module itself: issuer, scopes, resources and routePrefix. */
function validateRootOptions(options: McpAuthModuleOptions): string[] {
  const problems: string[] = [];
  problems.push(...validateIssuer(options.issuer).map((p) => `issuer: ${p}`));

  const scopes = options.scopes ?? {};
  if (typeof scopes !== 'object' || Array.isArray(scopes)) {
    problems.push('scopes must be an object mapping each scope to its description');
  }
  for (const scope of Object.keys(scopes)) {
    if (!isValidScopeToken(scope)) {
      problems.push(`scopes: "${scope}" is not a valid scope token (RFC 6749 §3.3)`);
    }
  }

  if (!Array.isArray(options.resources) || options.resources.length === 0) {
    problems.push(
      'resources must list at least one MCP endpoint, e.g. [{ path: "/mcp", scopes: [...] }]',
    );
  } else {
    const paths = new Set<string>();
    for (const [i, resource] of options.resources.entries()) {
      const where = `resources[${i}]`;
      if (
        typeof resource.path !== 'string' ||
        !/^\/?[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(resource.path)
      ) {
        problems.push(`${where}.path must be a URL path such as "/mcp"`);
        continue;
      }
      const path = normalizePath(resource.path);
      if (paths.has(path)) problems.push(`${where}.path "${path}" is configured twice`);
      paths.add(path);
      for (const scope of [...(resource.scopes ?? []), ...(resource.defaultScopes ?? [])]) {
        if (!(scope in scopes)) {
          problems.push(`${where} uses scope "${scope}", which is not declared in scopes`);
        }
      }
      if (resource.scopes?.includes('offline_access')) {
        problems.push(
          `${where}.scopes must not contain offline_access (RS-4: it belongs to the AS only)`,
        );
      }
      const unknownDefaults = (resource.defaultScopes ?? []).filter(
        (s) => !resource.scopes.includes(s),
      );
      if (unknownDefaults.length) {
        problems.push(
          `${where}.defaultScopes must be a subset of its scopes (${unknownDefaults.join(', ')})`,
        );
      }
    }
  }

  if (
    options.routePrefix !== undefined &&
    (!/^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$|^\/?$/.test(options.routePrefix) ||
      // `.` and `..` would be normalized away by clients but not by the router.
      options.routePrefix.split('/').some((segment) => segment === '.' || segment === '..'))
  ) {
    problems.push('routePrefix must be a plain path such as "/oauth"');
  }
  return problems;
}
