import { isValidScopeToken } from '../oauth/scope';

/**
 * Which scopes a broader scope implies, e.g. `{ 'mcp:admin': ['mcp:tools', 'mcp:resources'] }`.
 * Implication is transitive: `a → b` and `b → c` make `a` satisfy `c`.
 */
export type ScopeHierarchyDefinition = Readonly<Record<string, readonly string[]>>;

/**
 * RS-9 (2026-07-28): a server MUST respect scope hierarchies, so a token holding a broader
 * scope passes a check for the narrower ones it implies. The closure is computed once; the
 * per-request work is a few set lookups.
 */
export class ScopeHierarchy {
  private readonly closure = new Map<string, ReadonlySet<string>>();

  constructor(definition: ScopeHierarchyDefinition = {}) {
    const problems = ScopeHierarchy.validate(definition);
    if (problems.length) {
      throw new Error(`Invalid scope hierarchy:\n  - ${problems.join('\n  - ')}`);
    }
    for (const scope of Object.keys(definition)) {
      this.closure.set(scope, reachable(scope, definition));
    }
  }

  /** Problems with a hierarchy definition, as sentences; empty when it is fine. */
  static validate(definition: unknown): string[] {
    if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
      return ['scopeHierarchy must map each broader scope to the scopes it implies'];
    }
    const problems: string[] = [];
    for (const [scope, implied] of Object.entries(definition as Record<string, unknown>)) {
      if (!isValidScopeToken(scope)) problems.push(`"${scope}" is not a valid scope token`);
      if (!Array.isArray(implied) || !implied.every((s) => isValidScopeToken(s as string))) {
        problems.push(`scopeHierarchy["${scope}"] must be an array of valid scope tokens`);
      }
    }
    return problems;
  }

  /** Every scope the granted ones amount to, implied ones included. */
  expand(granted: Iterable<string>): Set<string> {
    const result = new Set<string>();
    for (const scope of granted) {
      result.add(scope);
      for (const implied of this.closure.get(scope) ?? []) result.add(implied);
    }
    return result;
  }

  /** The required scopes that the granted ones do not cover, in the order required. */
  missing(granted: Iterable<string>, required: Iterable<string>): string[] {
    const held = this.expand(granted);
    return [...new Set(required)].filter((scope) => !held.has(scope));
  }

  /** Whether the granted scopes cover every required one (an empty requirement always is). */
  satisfies(granted: Iterable<string>, required: Iterable<string>): boolean {
    // The usual case, checked without building sets: every required scope granted as such.
    if (Array.isArray(granted) && Array.isArray(required)) {
      const held = granted as readonly string[];
      if ((required as readonly string[]).every((scope) => held.includes(scope))) return true;
    }
    return this.missing(granted, required).length === 0;
  }
}

/** Scopes reachable from `start`, itself excluded; cycles are harmless. */
function reachable(start: string, definition: ScopeHierarchyDefinition): Set<string> {
  const seen = new Set<string>();
  const queue = [...(definition[start] ?? [])];
  while (queue.length) {
    const scope = queue.shift() as string;
    if (seen.has(scope) || scope === start) continue;
    seen.add(scope);
    queue.push(...(definition[scope] ?? []));
  }
  return seen;
}
