import { McpAuthConfig } from '../mcp-auth.config';
import type { McpAuthModuleOptions } from '../mcp-auth-options.interface';
import { resolveAuditOptions, validateAuditOptions } from './audit-options';

describe('audit options', () => {
  it('documents its defaults: logged, no user names, no client addresses, `mcp-auth.` events', () => {
    expect(resolveAuditOptions(undefined)).toEqual({
      log: true,
      includeUsername: false,
      includeClientAddress: false,
      eventPrefix: 'mcp-auth.',
    });
    expect(resolveAuditOptions({ log: false, eventPrefix: '' })).toMatchObject({
      log: false,
      eventPrefix: '',
    });
  });

  it('refuses bad values with messages naming them', () => {
    expect(validateAuditOptions(undefined)).toEqual([]);
    expect(validateAuditOptions([] as never)).toEqual([
      'audit must be an object such as { includeClientAddress: true }',
    ]);
    expect(
      validateAuditOptions({
        log: 'yes' as never,
        includeUsername: 1 as never,
        includeClientAddress: null as never,
        eventPrefix: 'has space',
      }),
    ).toEqual([
      'audit.log must be true or false',
      'audit.includeUsername must be true or false',
      'audit.includeClientAddress must be true or false',
      'audit.eventPrefix must be up to 64 printable characters without spaces',
    ]);
  });

  it('is validated and resolved with the module options', () => {
    const base: McpAuthModuleOptions = {
      issuer: 'https://mcp.example.com',
      resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
      scopes: { 'mcp:tools': 'Tools' },
    };
    expect(new McpAuthConfig({ ...base, audit: { includeUsername: true } }).audit).toMatchObject({
      includeUsername: true,
      log: true,
    });
    expect(() => new McpAuthConfig({ ...base, audit: { eventPrefix: 7 as never } })).toThrow(
      /audit\.eventPrefix/,
    );
  });
});
