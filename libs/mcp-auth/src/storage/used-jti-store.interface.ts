import { Inject } from '@nestjs/common';

/**
 * The `jti` of every signed assertion accepted (client assertions, ID-JAGs), kept until the
 * assertion expires, so that each is accepted once (RFC 7523 §3, RFC 7519 §4.1.7).
 * @publicApi
 */
export interface UsedJtiStore {
  /**
   * Records `jti` under `namespace` (its issuer) until `expiresAt`. True the first time; false
   * for a replay. Atomic: of concurrent calls with the same values exactly one gets true.
   */
  use(namespace: string, jti: string, expiresAt: Date): Promise<boolean>;
}

export const UsedJtiStore = Symbol('McpAuth:UsedJtiStore');

/** Injects the `UsedJtiStore`. @publicApi */
export const InjectUsedJtiStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(UsedJtiStore);
