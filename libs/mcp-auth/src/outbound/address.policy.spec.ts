import { checkAddress, isLoopbackAddress, parseIPv6 } from './address.policy';

describe('checkAddress', () => {
  it.each([
    '8.8.8.8',
    '93.184.216.34',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.169.0.1',
    '198.20.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(checkAddress(address)).toEqual({ ok: true });
  });

  it.each<[string, string]>([
    // IPv4
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.8', 'IETF'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', '6to4 relay'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['fc00::1', 'unique-local'],
    ['fd00::1', 'unique-local'],
    ['fdff:ffff::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:2::1', 'IETF'],
    ['100::1', 'discard'],
    ['5f00::1', 'SRv6'],
    ['64:ff9b:1::a00:1', 'local-use NAT64'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'],
    ['::a00:1', 'IPv4-compatible'],
    ['4000::1', 'not global unicast'],
    ['::ffff:0:a00:1', 'not global unicast'],
    // IPv4-mapped forms, dotted and hex
    ['::ffff:10.0.0.1', 'IPv4-mapped form of private'],
    ['::ffff:a00:1', 'IPv4-mapped form of private'],
    ['::ffff:127.0.0.1', 'IPv4-mapped form of loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped form of loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'IPv4-mapped form of loopback'],
    ['::FFFF:169.254.169.254', 'IPv4-mapped form of link-local'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped form of link-local'],
    ['::ffff:0.0.0.0', 'IPv4-mapped form of unspecified'],
    ['::ffff:100.64.0.1', 'IPv4-mapped form of shared'],
    // NAT64 well-known prefix and 6to4 embedding private IPv4
    ['64:ff9b::10.0.0.1', 'NAT64 form of private'],
    ['64:ff9b::7f00:1', 'NAT64 form of loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 form of link-local'],
    ['2002:a00:1::1', '6to4 form of private'],
    ['2002:7f00:1::', '6to4 form of loopback'],
    ['2002:c0a8:101::1', '6to4 form of private'],
    // not addresses
    ['', 'not an IP address'],
    ['localhost', 'not an IP address'],
    ['10.0.0', 'not an IP address'],
    ['010.0.0.1', 'not an IP address'],
    ['0x7f.0.0.1', 'not an IP address'],
    ['2130706433', 'not an IP address'],
    ['[::1]', 'not an IP address'],
    ['1::2::3', 'not an IP address'],
  ])('refuses %s (%s)', (address, reasonPart) => {
    const result = checkAddress(address);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reasonPart);
  });

  describe('allowLoopback', () => {
    it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1'])(
      'lets the loopback address %s through',
      (address) => {
        expect(checkAddress(address, { allowLoopback: true })).toEqual({ ok: true });
      },
    );

    it.each(['10.0.0.1', '169.254.169.254', 'fd00::1', 'fe80::1', '0.0.0.0', '::', '192.168.0.1'])(
      'still refuses the non-loopback address %s',
      (address) => {
        expect(checkAddress(address, { allowLoopback: true }).ok).toBe(false);
      },
    );
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.1', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['::2', false],
    ['64:ff9b::7f00:1', false],
    ['localhost', false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe('parseIPv6', () => {
  it.each<[string, bigint | undefined]>([
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['::ffff:1.2.3.4', 0xffff01020304n],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
    ['fe80::1%lo0', 0xfe800000000000000000000000000001n],
    ['1.2.3.4', undefined],
    ['x::', undefined],
  ])('%s', (text, expected) => {
    expect(parseIPv6(text)).toBe(expected);
  });
});
