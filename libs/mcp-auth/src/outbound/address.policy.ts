import { isIPv4, isIPv6 } from 'node:net';

/** Result of checking one resolved address. */
export type AddressCheck = { ok: true } | { ok: false; reason: string };

export interface AddressPolicyOptions {
  /** Let loopback addresses (127.0.0.0/8, ::1 and its IPv4-mapped forms) through. */
  allowLoopback?: boolean;
}

type Range = readonly [base: bigint, prefix: number, label: string];

/**
 * IPv4 ranges that are not globally reachable unicast (IANA IPv4 Special-Purpose Address
 * Registry, RFC 6890 and successors). The first match names the refusal.
 */
const V4_REFUSED: readonly Range[] = [
  v4('255.255.255.255', 32, 'broadcast'),
  v4('0.0.0.0', 8, 'unspecified / "this network" (0.0.0.0/8)'),
  v4('10.0.0.0', 8, 'private (10.0.0.0/8)'),
  v4('100.64.0.0', 10, 'shared address space / CGNAT (100.64.0.0/10)'),
  v4('127.0.0.0', 8, 'loopback (127.0.0.0/8)'),
  v4('169.254.0.0', 16, 'link-local, incl. cloud metadata (169.254.0.0/16)'),
  v4('172.16.0.0', 12, 'private (172.16.0.0/12)'),
  v4('192.0.0.0', 24, 'IETF protocol assignments (192.0.0.0/24)'),
  v4('192.0.2.0', 24, 'documentation (192.0.2.0/24)'),
  v4('192.88.99.0', 24, '6to4 relay anycast (192.88.99.0/24)'),
  v4('192.168.0.0', 16, 'private (192.168.0.0/16)'),
  v4('198.18.0.0', 15, 'benchmarking (198.18.0.0/15)'),
  v4('198.51.100.0', 24, 'documentation (198.51.100.0/24)'),
  v4('203.0.113.0', 24, 'documentation (203.0.113.0/24)'),
  v4('224.0.0.0', 4, 'multicast (224.0.0.0/4)'),
  v4('240.0.0.0', 4, 'reserved (240.0.0.0/4)'),
];

// IPv6 prefixes whose low 32 bits (or bits 16-47 for 6to4) carry an IPv4 address, which then
// decides: a public IPv4 behind them is fine, a private one is refused with its own reason.
const V6_MAPPED = v6('::ffff:0:0', 96);
const V6_NAT64 = v6('64:ff9b::', 96);
const V6_6TO4 = v6('2002::', 16);
const V6_GLOBAL_UNICAST = v6('2000::', 3);

/** Refused IPv6 ranges, checked before the "only 2000::/3" rule so the reason is specific. */
const V6_REFUSED: readonly Range[] = [
  v6('::', 128, 'unspecified (::)'),
  v6('::1', 128, 'loopback (::1)'),
  v6('::', 96, 'IPv4-compatible (::/96, deprecated)'),
  v6('64:ff9b:1::', 48, 'local-use NAT64 (64:ff9b:1::/48)'),
  v6('100::', 64, 'discard-only (100::/64)'),
  v6('2001::', 32, 'Teredo (2001::/32)'),
  v6('2001:db8::', 32, 'documentation (2001:db8::/32)'),
  v6('2001::', 23, 'IETF protocol assignments (2001::/23)'),
  v6('3fff::', 20, 'documentation (3fff::/20)'),
  v6('5f00::', 16, 'SRv6 SIDs (5f00::/16)'),
  v6('fc00::', 7, 'unique-local (fc00::/7)'),
  v6('fe80::', 10, 'link-local (fe80::/10)'),
  v6('fec0::', 10, 'site-local (fec0::/10, deprecated)'),
  v6('ff00::', 8, 'multicast (ff00::/8)'),
];

/**
 * Whether the server may connect to `address` (an IP literal as a resolver returns it; an IPv6
 * zone suffix is ignored). Only globally reachable unicast passes: IPv4 outside the special-
 * purpose ranges, IPv6 inside 2000::/3 outside its special ranges, and IPv4-mapped, NAT64
 * (64:ff9b::/96) and 6to4 addresses whose embedded IPv4 passes. Teredo is refused outright (the
 * client address is obfuscated and the traffic goes through a relay). Anything that does not
 * parse is refused.
 */
export function checkAddress(address: string, options: AddressPolicyOptions = {}): AddressCheck {
  if (options.allowLoopback && isLoopbackAddress(address)) return { ok: true };
  const v4Value = parseIPv4(address);
  if (v4Value !== undefined) return checkV4(v4Value);
  const v6Value = parseIPv6(address);
  if (v6Value === undefined) return { ok: false, reason: 'not an IP address' };
  return checkV6(v6Value);
}

/** Whether `address` is a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
export function isLoopbackAddress(address: string): boolean {
  const v4Value = parseIPv4(address) ?? embeddedMappedV4(parseIPv6(address));
  if (v4Value !== undefined) return inRange(v4Value, 32, V4_LOOPBACK);
  return parseIPv6(address) === 1n;
}

const V4_LOOPBACK = v4('127.0.0.0', 8, 'loopback');

function checkV4(value: bigint): AddressCheck {
  const hit = V4_REFUSED.find((range) => inRange(value, 32, range));
  return hit ? { ok: false, reason: hit[2] } : { ok: true };
}

function checkV6(value: bigint): AddressCheck {
  for (const [prefix, label, embedded] of [
    [V6_MAPPED, 'IPv4-mapped', value & 0xffffffffn],
    [V6_NAT64, 'NAT64', value & 0xffffffffn],
    [V6_6TO4, '6to4', (value >> 80n) & 0xffffffffn],
  ] as const) {
    if (inRange(value, 128, prefix)) {
      const inner = checkV4(embedded);
      return inner.ok ? inner : { ok: false, reason: `${label} form of ${inner.reason}` };
    }
  }
  const hit = V6_REFUSED.find((range) => inRange(value, 128, range));
  if (hit) return { ok: false, reason: hit[2] };
  if (!inRange(value, 128, V6_GLOBAL_UNICAST)) {
    return { ok: false, reason: 'not global unicast (outside 2000::/3)' };
  }
  return { ok: true };
}

function embeddedMappedV4(value: bigint | undefined): bigint | undefined {
  return value !== undefined && inRange(value, 128, V6_MAPPED) ? value & 0xffffffffn : undefined;
}

function inRange(value: bigint, bits: number, [base, prefix]: Range): boolean {
  const shift = BigInt(bits - prefix);
  return value >> shift === base >> shift;
}

function v4(address: string, prefix: number, label: string): Range {
  const value = parseIPv4(address);
  if (value === undefined) throw new Error(`bad IPv4 range ${address}`);
  return [value, prefix, label];
}

function v6(address: string, prefix: number, label = ''): Range {
  const value = parseIPv6(address);
  if (value === undefined) throw new Error(`bad IPv6 range ${address}`);
  return [value, prefix, label];
}

/** Dotted-quad IPv4 (as `net.isIPv4` accepts it) to a 32-bit value. */
export function parseIPv4(address: string): bigint | undefined {
  if (!isIPv4(address)) return undefined;
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** IPv6 text (with an optional `%zone` and dotted-quad tail) to a 128-bit value. */
export function parseIPv6(address: string): bigint | undefined {
  const text = address.replace(/%.*$/, '');
  if (!isIPv6(text)) return undefined;
  let groups = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const tail = parseIPv4(dotted[1]);
    if (tail === undefined) return undefined;
    groups = `${text.slice(0, dotted.index)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const [head, rest] = groups.split('::');
  const headParts = head ? head.split(':') : [];
  const restParts = rest ? rest.split(':') : [];
  const missing = 8 - headParts.length - restParts.length;
  const parts =
    rest === undefined
      ? headParts
      : [...headParts, ...Array<string>(missing).fill('0'), ...restParts];
  if (parts.length !== 8) return undefined;
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n);
}
