import { Injectable, type CanActivate } from '@nestjs/common';
import { McpAuthConfig } from '../mcp-auth.config';
import type { McpAuthModuleOptions } from '../mcp-auth-options.interface';
import {
  type AdministrationOptions,
  resolveAdministrationOptions,
  validateAdministrationOptions,
} from './administration-options';

@Injectable()
class HostGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

const base = (administration?: AdministrationOptions): McpAuthModuleOptions => ({
  issuer: 'https://as.example.com',
  resources: [{ path: '/mcp', scopes: ['mcp:tools'] }],
  scopes: { 'mcp:tools': 'Tools', 'ops:admin': 'Administer' },
  routePrefix: '/oauth',
  administration,
});

describe('validateAdministrationOptions', () => {
  it('accepts none, a scope, a path, and a host guard alone', () => {
    expect(validateAdministrationOptions(undefined)).toEqual([]);
    expect(validateAdministrationOptions({ scope: 'ops:admin' })).toEqual([]);
    expect(validateAdministrationOptions({ scope: 'ops:admin', path: '/ops/admin' })).toEqual([]);
    expect(validateAdministrationOptions({ guard: HostGuard })).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'yes', /must be an object/],
    ['no scope and no guard', {}, /scope is required/],
    ['a scope with a space', { scope: 'a b' }, /valid scope token/],
    ['offline_access', { scope: 'offline_access' }, /offline_access/],
    ['a path with dot segments', { scope: 'ops:admin', path: '/a/../b' }, /plain path/],
    ['a path with a query', { scope: 'ops:admin', path: '/admin?x' }, /plain path/],
    ['a guard that is not a class', { guard: 'HostGuard' }, /guard class/],
    ['an unknown member', { scope: 'ops:admin', clients: ['x'] }, /clients is not an option/],
  ])('refuses %s', (_name, options, message) => {
    expect(validateAdministrationOptions(options as AdministrationOptions).join('\n')).toMatch(
      message,
    );
  });
});

describe('resolveAdministrationOptions', () => {
  it('puts the API under the route prefix as its own resource', () => {
    expect(
      resolveAdministrationOptions({ scope: 'ops:admin' }, 'https://as.example.com', '/oauth'),
    ).toEqual({
      path: '/oauth/admin',
      resourceUri: 'https://as.example.com/oauth/admin',
      scope: 'ops:admin',
      guard: undefined,
    });
  });

  it('adds no resource when a host guard protects the API', () => {
    expect(
      resolveAdministrationOptions(
        { guard: HostGuard, path: 'ops/' },
        'https://as.example.com',
        '',
      ),
    ).toEqual({ path: '/ops', resourceUri: undefined, scope: undefined, guard: HostGuard });
  });
});

describe('McpAuthConfig with administration', () => {
  it('is off by default: no administration resource', () => {
    const config = new McpAuthConfig(base());
    expect(config.administration).toBeUndefined();
    expect(config.resources.map((r) => r.path)).toEqual(['/mcp']);
  });

  it('appends the API resource last (never the default), marked as administration', () => {
    const config = new McpAuthConfig(base({ scope: 'ops:admin' }));
    expect(config.defaultResource.path).toBe('/mcp');
    expect(config.findResource('https://as.example.com/oauth/admin')).toMatchObject({
      scopes: ['ops:admin'],
      defaultScopes: ['ops:admin'],
      administration: true,
    });
  });

  it('refuses an undeclared scope, the root path and a path on a resource', () => {
    expect(() => new McpAuthConfig(base({ scope: 'ops:root' }))).toThrow(
      /"ops:root" must be declared in scopes/,
    );
    expect(
      () =>
        new McpAuthConfig({
          ...base({ scope: 'ops:admin', path: '/' }),
          routePrefix: '',
          resources: [{ path: '/admin', scopes: ['mcp:tools'] }],
        }),
    ).toThrow(/plain path/);
    expect(
      () =>
        new McpAuthConfig({
          ...base({ scope: 'ops:admin', path: '/tools' }),
          routePrefix: '/mcp',
        }),
    ).toThrow(/overlaps the path of a resource \(\/mcp\)/);
  });

  it('refuses a resource under the API, the connected-apps page and an endpoint path', () => {
    expect(
      () =>
        new McpAuthConfig({
          ...base({ scope: 'ops:admin' }),
          resources: [
            { path: '/mcp', scopes: ['mcp:tools'] },
            { path: '/oauth/admin/mcp', scopes: ['mcp:tools'] },
          ],
        }),
    ).toThrow(/overlaps the path of a resource \(\/oauth\/admin\/mcp\)/);
    expect(() => new McpAuthConfig(base({ scope: 'ops:admin', path: '/connected-apps' }))).toThrow(
      /overlaps the path of the connected-apps page/,
    );
    // Turned off, the page takes no path.
    expect(
      () =>
        new McpAuthConfig({
          ...base({ scope: 'ops:admin', path: '/connected-apps' }),
          connectedApps: { enabled: false },
        }),
    ).not.toThrow();
    expect(() => new McpAuthConfig(base({ scope: 'ops:admin', path: '/token' }))).toThrow(
      /overlaps the path of an endpoint of the module \(\/oauth\/token\)/,
    );
  });

  it('refuses the scope on a regular resource, and guard together with scope', () => {
    expect(
      () =>
        new McpAuthConfig({
          ...base({ scope: 'ops:admin' }),
          resources: [{ path: '/mcp', scopes: ['mcp:tools', 'ops:admin'] }],
        }),
    ).toThrow(/resources\[0\]\.scopes must not contain the administration scope "ops:admin"/);
    expect(validateAdministrationOptions({ guard: HostGuard, scope: 'ops:admin' })).toEqual([
      'administration: set either guard (the host decides) or scope (an operator token), not both',
    ]);
  });

  it('advertises and offers the scope to nobody but pre-registered clients', () => {
    const config = new McpAuthConfig(base({ scope: 'ops:admin' }));
    expect(config.scopesSupported).toEqual(['mcp:tools']);
    expect(config.staticClientScopes).toEqual(['mcp:tools', 'ops:admin']);
    expect(new McpAuthConfig(base()).scopesSupported).toEqual(['mcp:tools', 'ops:admin']);
  });
});
