import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './host.resolver';

/**
 * A `lookup` for `net`/`tls` connections that answers with the one address already resolved
 * and checked, so the socket connects to exactly that address: no second DNS query, so a
 * rebinding resolver cannot switch it. TLS still verifies the certificate against the host
 * name (SNI and hostname check use the request's `host`, not this answer). Any other host
 * name is refused.
 */
export function pinnedLookup(hostname: string, pinned: ResolvedAddress): LookupFunction {
  return (host, options, callback) => {
    if (host !== hostname) {
      const error: NodeJS.ErrnoException = new Error(`unexpected lookup of ${host}`);
      error.code = 'ENOTFOUND';
      callback(error, '', undefined);
      return;
    }
    if (options.all) {
      callback(null, [{ address: pinned.address, family: pinned.family }]);
    } else {
      callback(null, pinned.address, pinned.family);
    }
  };
}
