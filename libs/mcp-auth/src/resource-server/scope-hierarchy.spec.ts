import { ScopeHierarchy } from './scope-hierarchy';

describe('ScopeHierarchy', () => {
  it('without a definition, a scope satisfies only itself', () => {
    const hierarchy = new ScopeHierarchy();
    expect(hierarchy.satisfies(['mcp:tools'], ['mcp:tools'])).toBe(true);
    expect(hierarchy.missing(['mcp:tools'], ['mcp:tools', 'mcp:admin'])).toEqual(['mcp:admin']);
    expect(hierarchy.satisfies([], [])).toBe(true);
  });

  it('RS-9: a broader scope implies the narrower ones, transitively', () => {
    const hierarchy = new ScopeHierarchy({
      'mcp:admin': ['mcp:write'],
      'mcp:write': ['mcp:read'],
    });
    expect(hierarchy.satisfies(['mcp:admin'], ['mcp:read', 'mcp:write'])).toBe(true);
    expect(hierarchy.satisfies(['mcp:write'], ['mcp:read'])).toBe(true);
    // Never the other way round.
    expect(hierarchy.missing(['mcp:read'], ['mcp:write', 'mcp:read'])).toEqual(['mcp:write']);
    expect([...hierarchy.expand(['mcp:admin'])].sort()).toEqual([
      'mcp:admin',
      'mcp:read',
      'mcp:write',
    ]);
  });

  it('survives cycles', () => {
    const hierarchy = new ScopeHierarchy({ a: ['b'], b: ['a', 'c'] });
    expect(hierarchy.satisfies(['a'], ['b', 'c'])).toBe(true);
    expect(hierarchy.satisfies(['c'], ['a'])).toBe(false);
  });

  it('reports missing scopes once each, in the order required', () => {
    expect(new ScopeHierarchy().missing([], ['b', 'a', 'b'])).toEqual(['b', 'a']);
  });

  it('refuses an invalid definition at boot', () => {
    expect(() => new ScopeHierarchy({ 'bad scope': ['x'] })).toThrow(/not a valid scope token/);
    expect(() => new ScopeHierarchy({ a: 'b' as unknown as string[] })).toThrow(/array/);
    expect(() => new ScopeHierarchy({ a: ['b"c'] })).toThrow(/array of valid scope tokens/);
  });
});
