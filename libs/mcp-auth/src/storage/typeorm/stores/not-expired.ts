/**
 * `column > now()` written so the planner cannot drive a scan with it. When most rows of a
 * table have expired (before clean-up runs), the statistics make the `expires_at` index look
 * more selective than the primary key, and a single-row lookup turns into a walk over every
 * live row (measured: 4,000 rows filtered per code exchange). As an `IS TRUE` test it stays a
 * filter on the row the key finds.
 */
export const notExpired = (column = 'expires_at'): string => `(${column} > now()) IS TRUE`;
