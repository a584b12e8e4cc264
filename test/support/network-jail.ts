import { lookup as systemLookup } from 'node:dns';
import { BlockList, isIP, Socket, type LookupFunction } from 'node:net';

/**
 * A jail around the test process's outbound TCP connections: anything that is not loopback is
 * refused before a packet is sent, and recorded. For suites that hand the server under test
 * host names resolving to private or public addresses (through a test resolver): even if the
 * server tried to connect there, nothing would leave the machine.
 */
export interface NetworkJail {
  /** Every connection target, `address:port` or `host=address:port`, in order. */
  readonly connectedTo: string[];
  /** Targets refused because they were not loopback. */
  readonly blocked: string[];
  release(): void;
}

const LOOPBACK_RANGES = new BlockList();
LOOPBACK_RANGES.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_RANGES.addAddress('::1', 'ipv6');

function isLoopback(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return LOOPBACK_RANGES.check(address, 'ipv4');
  // BlockList matches IPv4-mapped IPv6 addresses against the IPv4 rules.
  if (family === 6) return LOOPBACK_RANGES.check(address, 'ipv6');
  return false;
}

interface ConnectOptions {
  host?: string;
  port?: number | string;
  path?: string | null;
  lookup?: LookupFunction;
}

function jailError(target: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`test network jail: ${target} is not loopback`);
  error.code = 'EJAILED';
  return error;
}

/**
 * Wraps `net.Socket#connect` (every TCP and TLS client of the process goes through it): an
 * IP-literal target must be loopback; for a host name, every address its `lookup` (the pinned
 * one of the fetcher, or the system's) answers must be. Anything else fails with `EJAILED`
 * before a packet is sent, and is recorded.
 */
export function jailOutboundConnections(): NetworkJail {
  const connectedTo: string[] = [];
  const blocked: string[] = [];
  const original = Socket.prototype.connect;
  type ConnectArgs = Parameters<typeof original>;

  const guardedLookup =
    (host: string, port: string, lookup: LookupFunction): LookupFunction =>
    (hostname, options, callback) => {
      lookup(hostname, options, (error, address, family) => {
        if (error) {
          callback(error, address, family);
          return;
        }
        const addresses = typeof address === 'string' ? [address] : address.map((a) => a.address);
        const outside = addresses.filter((candidate) => !isLoopback(candidate));
        if (outside.length > 0) {
          blocked.push(...outside.map((candidate) => `${host}=${candidate}:${port}`));
          callback(jailError(`${host}=${outside.join(',')}`), '', 4);
          return;
        }
        connectedTo.push(...addresses.map((candidate) => `${host}=${candidate}:${port}`));
        callback(null, address, family);
      });
    };

  const spy = jest.spyOn(Socket.prototype, 'connect').mockImplementation(function (
    this: Socket,
    ...args: unknown[]
  ) {
    const first = args[0];
    let options: ConnectOptions | undefined;
    let rebuild: (copy: ConnectOptions) => unknown[];
    if (Array.isArray(first)) {
      // Node's internal, already normalized [options, callback].
      options = first[0] as ConnectOptions;
      rebuild = (copy) => {
        first[0] = copy;
        return args;
      };
    } else if (typeof first === 'object' && first !== null) {
      options = first;
      rebuild = (copy) => [copy, ...args.slice(1)];
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      const host = typeof args[1] === 'string' ? args[1] : undefined;
      options = { port: first, host };
      const rest = args.slice(host === undefined ? 1 : 2);
      rebuild = (copy) => [copy, ...rest];
    } else {
      return original.apply(this, args as ConnectArgs); // a local socket path
    }
    // A local socket path (Node connects a pipe for any non-empty `path`).
    if (options.path) return original.apply(this, args as ConnectArgs);
    const host = options.host ?? 'localhost';
    const port = String(options.port);
    if (isIP(host)) {
      if (!isLoopback(host)) {
        blocked.push(`${host}:${port}`);
        process.nextTick(() => this.destroy(jailError(host)));
        return this;
      }
      connectedTo.push(`${host}:${port}`);
      return original.apply(this, rebuild({ ...options }) as ConnectArgs);
    }
    const lookup = guardedLookup(host, port, options.lookup ?? systemLookup);
    return original.apply(this, rebuild({ ...options, lookup }) as ConnectArgs);
  });
  return { connectedTo, blocked, release: () => spy.mockRestore() };
}
