import { hasScopes, hasToolScopes, requireScopes } from './require-scopes';

describe('requireScopes / hasScopes', () => {
  it('refuses to run on a request that did not pass BearerGuard (a programming error)', () => {
    expect(() => requireScopes({}, 'mcp:admin')).toThrow(/passed BearerGuard/);
    expect(() => hasScopes({}, ['mcp:admin'])).toThrow(/passed BearerGuard/);
  });
});

describe('hasToolScopes', () => {
  it('refuses to run on a request that did not pass BearerGuard (a programming error)', () => {
    expect(() => hasToolScopes({}, 'delete-file')).toThrow(/passed BearerGuard/);
  });
});
