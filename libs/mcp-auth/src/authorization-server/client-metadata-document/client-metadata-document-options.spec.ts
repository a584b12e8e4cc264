import { McpAuthConfig } from '../../mcp-auth.config';
import type { McpAuthModuleOptions } from '../../mcp-auth-options.interface';
import type { HostResolver } from '../../outbound/host.resolver';
import type { OutboundDocumentPolicy, OutboundUrlPolicy } from '../../outbound/outbound.types';
import {
  type ClientMetadataDocumentOptions,
  resolveClientMetadataDocumentOptions,
  validateClientMetadataDocumentOptions,
} from './client-metadata-document-options';

const W = 'clientMetadataDocuments';
/** Options the types forbid, as a misconfigured (or untyped) host would pass them. */
const loose = (options: Record<string, unknown>) => options as ClientMetadataDocumentOptions;
const problems = (options: Record<string, unknown>) =>
  validateClientMetadataDocumentOptions(loose(options));

describe('resolveClientMetadataDocumentOptions', () => {
  it('is on by default, with the documented limits and nothing loosened', () => {
    expect(resolveClientMetadataDocumentOptions(undefined)).toEqual({
      enabled: true,
      timeoutMs: 5000,
      maxBodyBytes: 5120,
      cache: { minSeconds: 60, maxSeconds: 86_400 },
      allowLoopbackHosts: [],
      urlPolicy: undefined,
      documentPolicy: undefined,
      ca: undefined,
      resolver: undefined,
    });
    expect(resolveClientMetadataDocumentOptions({})).toEqual(
      resolveClientMetadataDocumentOptions(undefined),
    );
  });

  it('takes every given setting, and fills in the other cache bound', () => {
    const urlPolicy: OutboundUrlPolicy = () => ({ ok: true });
    const documentPolicy: OutboundDocumentPolicy = () => ({ ok: true });
    const resolver: HostResolver = async () => [];
    const hosts = ['localhost'];
    const resolved = resolveClientMetadataDocumentOptions({
      enabled: false,
      timeoutMs: 1000,
      maxBodyBytes: 2048,
      cache: { maxSeconds: 600 },
      allowLoopbackHosts: hosts,
      urlPolicy,
      documentPolicy,
      ca: 'PEM',
      resolver,
    });
    expect(resolved).toEqual({
      enabled: false,
      timeoutMs: 1000,
      maxBodyBytes: 2048,
      cache: { minSeconds: 60, maxSeconds: 600 },
      allowLoopbackHosts: ['localhost'],
      urlPolicy,
      documentPolicy,
      ca: 'PEM',
      resolver,
    });
    expect(resolveClientMetadataDocumentOptions({ cache: { minSeconds: 5 } }).cache).toEqual({
      minSeconds: 5,
      maxSeconds: 86_400,
    });
    // A copy: changing the host's array later does not widen what is fetched.
    hosts.push('evil.localhost');
    expect(resolved.allowLoopbackHosts).toEqual(['localhost']);
  });
});

describe('validateClientMetadataDocumentOptions', () => {
  it('accepts nothing, an empty object and every documented setting', () => {
    expect(validateClientMetadataDocumentOptions(undefined)).toEqual([]);
    expect(validateClientMetadataDocumentOptions({})).toEqual([]);
    expect(
      validateClientMetadataDocumentOptions({
        enabled: false,
        urlPolicy: () => ({ ok: true }),
        documentPolicy: () => ({ ok: true }),
        resolver: async () => [],
        cache: { minSeconds: 0, maxSeconds: 1 },
        timeoutMs: 30_000,
        maxBodyBytes: 65_536,
        allowLoopbackHosts: ['localhost'],
        ca: 'PEM',
      }),
    ).toEqual([]);
  });

  it.each([[null], ['yes'], [true], [[]], [[{ enabled: true }]]])(
    'refuses %p instead of an object',
    (value) => {
      expect(validateClientMetadataDocumentOptions(value as never)).toEqual([
        `${W} must be an object`,
      ]);
    },
  );

  it.each([['true'], [1], [null]])('refuses enabled %p', (enabled) => {
    expect(problems({ enabled })).toEqual([`${W}.enabled must be true or false`]);
  });

  it.each(['urlPolicy', 'documentPolicy', 'resolver'])(
    'refuses a %s that is not a function',
    (hook) => {
      expect(problems({ [hook]: { allow: ['example.com'] } })).toEqual([
        `${W}.${hook} must be a function`,
      ]);
      expect(problems({ [hook]: 'allow-all' })).toEqual([`${W}.${hook} must be a function`]);
    },
  );

  describe('cache bounds', () => {
    const minProblem = `${W}.cache.minSeconds must be a whole number of seconds, 0 or more`;
    const maxProblem = `${W}.cache.maxSeconds must be a whole number of seconds, 1 or more`;
    const order = `${W}.cache.minSeconds must not exceed cache.maxSeconds`;

    it('accepts the edges', () => {
      expect(problems({ cache: { minSeconds: 0 } })).toEqual([]);
      expect(problems({ cache: { maxSeconds: 60 } })).toEqual([]);
      expect(problems({ cache: { minSeconds: 300, maxSeconds: 300 } })).toEqual([]);
    });

    it.each([[-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], ['60']])(
      'refuses minSeconds %p',
      (minSeconds) => {
        expect(problems({ cache: { minSeconds } })).toEqual([minProblem]);
      },
    );

    it.each([[0], [-5], [2.5], [Number.NaN], ['3600']])('refuses maxSeconds %p', (maxSeconds) => {
      expect(problems({ cache: { maxSeconds } })).toEqual([maxProblem]);
    });

    it('refuses a minimum above the maximum, also above the default maximum', () => {
      expect(problems({ cache: { minSeconds: 601, maxSeconds: 600 } })).toEqual([order]);
      expect(problems({ cache: { minSeconds: 86_401 } })).toEqual([order]);
      expect(problems({ cache: { maxSeconds: 59 } })).toEqual([order]);
    });

    it('reports both bounds when both are wrong, and no order problem then', () => {
      expect(problems({ cache: { minSeconds: -1, maxSeconds: 0 } })).toEqual([
        minProblem,
        maxProblem,
      ]);
      expect(problems({ cache: { minSeconds: 'a', maxSeconds: 10 } })).toEqual([minProblem]);
    });

    it.each([[300], ['24h'], [true]])('refuses a cache that is not an object (%p)', (cache) => {
      expect(problems({ cache })).toEqual([expect.stringContaining(`${W}.cache`)]);
    });
  });

  it.each([[0], [-1], [1.5], [30_001], [Number.NaN], ['5000']])(
    'refuses timeoutMs %p',
    (timeoutMs) => {
      expect(problems({ timeoutMs })).toEqual([
        `${W}.timeoutMs must be a whole number of milliseconds from 1 to 30000`,
      ]);
    },
  );

  it('accepts timeoutMs from 1 to 30000', () => {
    expect(problems({ timeoutMs: 1 })).toEqual([]);
    expect(problems({ timeoutMs: 30_000 })).toEqual([]);
  });

  it.each([[0], [255], [65_537], [1024.5], ['5120']])('refuses maxBodyBytes %p', (maxBodyBytes) => {
    expect(problems({ maxBodyBytes })).toEqual([
      `${W}.maxBodyBytes must be a whole number of bytes from 256 to 65536`,
    ]);
  });

  it('accepts maxBodyBytes from 256 to 65536', () => {
    expect(problems({ maxBodyBytes: 256 })).toEqual([]);
    expect(problems({ maxBodyBytes: 65_536 })).toEqual([]);
  });

  describe('allowLoopbackHosts', () => {
    it('accepts names that can only mean this machine', () => {
      expect(
        problems({
          allowLoopbackHosts: [
            'localhost',
            'cimd.localhost',
            'a.b-c.localhost',
            '127.0.0.1',
            '[::1]',
          ],
        }),
      ).toEqual([]);
    });

    it.each([
      ['example.com'],
      ['localhost.example.com'],
      ['10.0.0.1'],
      ['192.168.1.1'],
      ['127.0.0.2'],
      ['::1'],
      ['LOCALHOST'],
      ['localhost.'],
      ['evil.com.localhost.example.com'],
      [''],
    ])('refuses %p', (host) => {
      expect(problems({ allowLoopbackHosts: [host] })).toEqual([
        `${W}.allowLoopbackHosts: "${host}" is not localhost, *.localhost, 127.0.0.1 or [::1]`,
      ]);
    });

    it('names every refused entry and refuses entries that are not strings', () => {
      expect(problems({ allowLoopbackHosts: ['localhost', 'example.com', 42, null] })).toEqual([
        `${W}.allowLoopbackHosts: "example.com" is not localhost, *.localhost, 127.0.0.1 or [::1]`,
        `${W}.allowLoopbackHosts: "42" is not localhost, *.localhost, 127.0.0.1 or [::1]`,
        `${W}.allowLoopbackHosts: "null" is not localhost, *.localhost, 127.0.0.1 or [::1]`,
      ]);
    });

    it.each([['localhost'], [{ 0: 'localhost' }], [null]])(
      'refuses %p instead of a list',
      (allowLoopbackHosts) => {
        expect(problems({ allowLoopbackHosts })).toEqual([
          `${W}.allowLoopbackHosts must be a list of host names`,
        ]);
      },
    );
  });

  it('reports every problem at once, in order', () => {
    expect(
      problems({
        enabled: 'on',
        urlPolicy: 1,
        documentPolicy: 2,
        resolver: 3,
        cache: { minSeconds: 10, maxSeconds: 5 },
        timeoutMs: 0,
        maxBodyBytes: 1,
        allowLoopbackHosts: ['10.0.0.1'],
      }),
    ).toEqual([
      `${W}.enabled must be true or false`,
      `${W}.urlPolicy must be a function`,
      `${W}.documentPolicy must be a function`,
      `${W}.resolver must be a function`,
      `${W}.cache.minSeconds must not exceed cache.maxSeconds`,
      `${W}.timeoutMs must be a whole number of milliseconds from 1 to 30000`,
      `${W}.maxBodyBytes must be a whole number of bytes from 256 to 65536`,
      `${W}.allowLoopbackHosts: "10.0.0.1" is not localhost, *.localhost, 127.0.0.1 or [::1]`,
    ]);
  });
});

describe('McpAuthConfig with clientMetadataDocuments', () => {
  const base: McpAuthModuleOptions = {
    issuer: 'https://mcp.example.com',
    resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
    scopes: { 'mcp:tools': 'Call tools' },
  };

  it('resolves the options it is given', () => {
    expect(new McpAuthConfig(base).clientMetadataDocuments).toEqual(
      resolveClientMetadataDocumentOptions(undefined),
    );
    const config = new McpAuthConfig({
      ...base,
      clientMetadataDocuments: { enabled: false, allowLoopbackHosts: ['localhost'] },
    });
    expect(config.clientMetadataDocuments).toMatchObject({
      enabled: false,
      allowLoopbackHosts: ['localhost'],
    });
  });

  it('refuses to start, listing every problem', () => {
    let message = '';
    try {
      new McpAuthConfig({
        ...base,
        clientMetadataDocuments: loose({
          enabled: 'yes',
          cache: { minSeconds: -1 },
          timeoutMs: 60_000,
          allowLoopbackHosts: ['intranet.example.com'],
        }),
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      [
        'Invalid McpAuthModule options:',
        `  - ${W}.enabled must be true or false`,
        `  - ${W}.cache.minSeconds must be a whole number of seconds, 0 or more`,
        `  - ${W}.timeoutMs must be a whole number of milliseconds from 1 to 30000`,
        `  - ${W}.allowLoopbackHosts: "intranet.example.com" is not localhost, *.localhost, 127.0.0.1 or [::1]`,
      ].join('\n'),
    );
  });

  it('refuses options that are not an object', () => {
    expect(() => new McpAuthConfig({ ...base, clientMetadataDocuments: true as never })).toThrow(
      `Invalid McpAuthModule options:\n  - ${W} must be an object`,
    );
  });
});
