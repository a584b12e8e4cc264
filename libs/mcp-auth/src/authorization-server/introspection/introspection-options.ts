/**
 * `introspection` module option: who may call `/introspect` (RFC 7662).
 * @publicApi
 */
export interface IntrospectionOptions {
  /**
   * `client_id`s of the confidential clients (resource servers) allowed to introspect tokens.
   * Default: none. Any other caller, including a client registered through open dynamic
   * registration, gets `403 unauthorized_client` after authenticating: introspection tells a
   * token's subject, client and scopes, which only the resource servers it was meant for may
   * learn (RFC 7662 §2.1, §4).
   */
  allowedClients?: readonly string[];
}

/** Problems with an `introspection` option, worded like the module's other option errors. */
export function validateIntrospectionOptions(options: IntrospectionOptions | undefined): string[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return ['introspection must be an object such as { allowedClients: ["resource-server"] }'];
  }
  const { allowedClients } = options;
  if (
    allowedClients !== undefined &&
    (!Array.isArray(allowedClients) ||
      allowedClients.some((id) => typeof id !== 'string' || id.length === 0))
  ) {
    return ['introspection.allowedClients must be an array of client_id strings'];
  }
  return [];
}
