/**
 * Suites and tests that need something the machine may not have (a real Postgres, Redis).
 * When it is missing they are skipped with the reason in their title, which
 * `skipped-tests.reporter.cjs` lists at the end of every run: nothing is skipped in silence.
 */
export const NEEDS_POSTGRES = 'needs a real Postgres: set DATABASE_URL';

const labelled = (name: string, reason: string): string => `${name} [skipped: ${reason}]`;

/** `describe` when `condition` holds, otherwise a skipped `describe` that says why. */
export function describeIf(condition: boolean, reason: string) {
  return (name: string, fn: () => void): void =>
    condition ? describe(name, fn) : describe.skip(labelled(name, reason), fn);
}

/** `it` when `condition` holds, otherwise a skipped `it` that says why. */
export function itIf(condition: boolean, reason: string) {
  return (name: string, fn: jest.ProvidesCallback, timeout?: number): void =>
    condition ? it(name, fn, timeout) : it.skip(labelled(name, reason), fn, timeout);
}

/** Suites that cut or proxy the database's connection, which the embedded database has not. */
export const describeOnPostgres = describeIf(Boolean(process.env.DATABASE_URL), NEEDS_POSTGRES);
export const itOnPostgres = itIf(Boolean(process.env.DATABASE_URL), NEEDS_POSTGRES);
