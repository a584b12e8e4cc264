/**
 * Recognizes errors that mean "the database cannot be reached right now" (as opposed to a bug
 * or a bad query), so endpoints can answer 503 `temporarily_unavailable` with `Retry-After`
 * instead of a 500: the client should simply retry, and nothing about the request was wrong.
 *
 * Covers node-postgres and TypeORM as used by the stores: refused, reset or timed-out
 * connections, connections the server closed (shutdown, restart, failover), pool acquisition
 * timeouts (`connectionTimeoutMillis`) and Postgres' own SQLSTATE classes for the same.
 */

/** Seconds a client is told to wait before retrying when the database is unavailable. */
export const DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

// Node socket errors on the way to the database server.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
]);

// SQLSTATE: class 08 (connection exception), operator intervention (57P01..57P05: shutdown,
// crash, cannot connect now, database dropped, idle session timeout), too many connections,
// and a read-only standby after failover (25006).
const SQLSTATE_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[1-5]|53300|25006)$/;

// node-postgres and pg-pool messages that carry no code.
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /Client has already been connected/i,
  /Cannot use a pool after calling end on the pool/i,
  /Connection is not established/i,
];

/** Whether `error` (or what it wraps) says the database is unreachable or going away. */
export function isDatabaseUnavailableError(error: unknown): boolean {
  return inspect(error, 0);
}

function inspect(value: unknown, depth: number): boolean {
  if (depth > 4 || typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  const code = fields.code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE_UNAVAILABLE.test(code))) {
    return true;
  }
  const message = fields.message;
  if (
    typeof message === 'string' &&
    UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))
  ) {
    return true;
  }
  // TypeORM's QueryFailedError keeps the driver's error; `cause` chains; a dual-stack connect
  // failure is an AggregateError of one error per address.
  if (inspect(fields.driverError, depth + 1) || inspect(fields.cause, depth + 1)) return true;
  const errors = fields.errors;
  return Array.isArray(errors) && errors.some((inner) => inspect(inner, depth + 1));
}
