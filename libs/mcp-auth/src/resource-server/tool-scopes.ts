import type { NormalizedToolScopes } from './decorators/required-tool-scopes.decorator';

/**
 * A route's `@RequiredToolScopes()`, ready for the guard: for each declared tool, every scope
 * a call of it needs (the route's first, then the tool's), computed once per route.
 */
export class ToolScopeRequirements {
  private constructor(private readonly needs: ReadonlyMap<string, readonly string[]>) {}

  /** The requirements of a route, or `undefined` when it declares no tool scopes. */
  static of(
    routeScopes: readonly string[],
    declarations: readonly (NormalizedToolScopes | undefined)[],
  ): ToolScopeRequirements | undefined {
    const byTool = new Map<string, string[]>();
    for (const declaration of declarations) {
      if (!declaration) continue;
      for (const [tool, scopes] of Object.entries(declaration)) {
        const list = byTool.get(tool) ?? [];
        list.push(...scopes);
        byTool.set(tool, list);
      }
    }
    if (byTool.size === 0) return undefined;
    const needs = new Map<string, readonly string[]>();
    for (const [tool, scopes] of byTool) {
      needs.set(tool, Object.freeze([...new Set([...routeScopes, ...scopes])]));
    }
    return new ToolScopeRequirements(needs);
  }

  /** Every scope a call of this tool needs, or `undefined` when it declares none. */
  forTool(name: string): readonly string[] | undefined {
    return this.needs.get(name);
  }

  /**
   * Every scope a JSON-RPC message or batch needs because it calls declared tools (the union
   * over a batch, the route's scopes first), or `undefined` when it calls none of them. Whatever
   * is not a well-formed `tools/call` is left to the transport to judge.
   */
  forBody(body: unknown): readonly string[] | undefined {
    if (!Array.isArray(body)) return this.forMessage(body);
    let first: readonly string[] | undefined;
    let union: Set<string> | undefined;
    for (const message of body as readonly unknown[]) {
      const needed = this.forMessage(message);
      if (needed === undefined || needed === first) continue;
      if (first === undefined) {
        first = needed;
        continue;
      }
      union ??= new Set(first);
      for (const scope of needed) union.add(scope);
    }
    return union ? [...union] : first;
  }

  private forMessage(message: unknown): readonly string[] | undefined {
    if (typeof message !== 'object' || message === null) return undefined;
    const { method, params } = message as { method?: unknown; params?: unknown };
    if (method !== 'tools/call' || typeof params !== 'object' || params === null) return undefined;
    const name = (params as { name?: unknown }).name;
    return typeof name === 'string' ? this.needs.get(name) : undefined;
  }
}
