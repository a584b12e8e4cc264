import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** One measured run of the load generator. */
export interface RunResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts, non-2xx answers and body mismatches. */
  errors: number;
  requests: number;
  seconds: number;
  /**
   * CPU time the app process (all its threads) spent per successful request, in µs: unlike
   * req/s, barely moved by other load on a shared machine.
   */
  cpuUs: number;
  /** CPU time of `extraPids` per successful request, in µs. */
  extraCpuUs: number;
  /** Database transactions per 1,000 successful requests, when counted. */
  dbTransactionsPer1k: number;
}

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds; ignored when `bodies` or `headerSets` fix the number of requests. */
  duration?: number;
  /** A distinct body per request, each used once (single-use credentials). */
  bodies?: readonly string[];
  /**
   * A distinct set of headers per request, cycled (e.g. distinct access tokens). With `bodies`,
   * request i gets body i and header set i modulo their count.
   */
  headerSets?: readonly Record<string, string>[];
  /** Checks each response body; a false answer counts as an error. */
  verify?: (body: string) => boolean;
  /** The app process, whose CPU time per request is measured. */
  pid?: number;
  /** Other processes whose CPU is measured together (e.g. the database's backends). */
  extraPids?: readonly number[];
  /** Counts the transactions of this database during the run (no-round-trip evidence). */
  countTransactions?: () => Promise<number>;
}

/**
 * Runs autocannon in this (the orchestrator's) process against an app in another process.
 * With `bodies`, exactly one request per body is sent and the run lasts as long as that takes.
 */
export async function runLoad(spec: LoadSpec): Promise<RunResult> {
  const headers = { ...(spec.headers ?? {}) };
  const options: autocannon.Options = {
    url: spec.url,
    method: spec.method ?? 'GET',
    headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.duration ?? 4,
    timeout: 20,
  };
  if (spec.bodies) {
    const bodies = spec.bodies;
    const sets = spec.headerSets;
    let next = 0;
    options.amount = bodies.length;
    options.requests = [
      {
        setupRequest: (request) => {
          if (sets) request.headers = { ...headers, ...sets[next % sets.length] };
          request.body = bodies[next++ % bodies.length];
          return request;
        },
      },
    ];
  } else if (spec.headerSets) {
    const sets = spec.headerSets;
    let next = 0;
    options.requests = [
      {
        setupRequest: (request) => {
          request.headers = { ...headers, ...sets[next++ % sets.length] };
          return request;
        },
      },
    ];
  }
  const verify = spec.verify;
  if (verify) options.verifyBody = (body) => verify(String(body ?? ''));
  const transactionsBefore = spec.countTransactions ? await spec.countTransactions() : Number.NaN;
  const cpuBefore = spec.pid ? cpuSeconds(spec.pid) : Number.NaN;
  // Per process: one that exits during the run (an idle pool connection closed) drops out
  // instead of taking all the CPU it had ever used off the sum.
  const extraBefore = new Map((spec.extraPids ?? []).map((pid) => [pid, cpuSeconds(pid)]));
  const extraCpu = (): number => {
    let used = 0;
    for (const [pid, before] of extraBefore) {
      const after = cpuSeconds(pid);
      if (Number.isFinite(before) && Number.isFinite(after)) used += after - before;
    }
    return used;
  };
  let extraUsed = Number.NaN;
  let cpuAfter = Number.NaN;
  const started = performance.now();
  let lastResponse = started;
  // autocannon reports only at its once-a-second tick (its `duration` and `finish` are rounded
  // up to it), so the run's real length is taken from the last response.
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error: Error | null, outcome: autocannon.Result) =>
      error ? reject(error) : resolve(outcome),
    );
    instance.on('response', () => {
      lastResponse = performance.now();
    });
    instance.on('done', () => {
      if (spec.pid) cpuAfter = cpuSeconds(spec.pid);
      extraUsed = extraCpu();
    });
  });
  if (spec.pid && Number.isNaN(cpuAfter)) cpuAfter = cpuSeconds(spec.pid);
  const cpu = cpuAfter - cpuBefore;
  if (spec.countTransactions) await new Promise((resolve) => setTimeout(resolve, 1100));
  const transactions = spec.countTransactions
    ? (await spec.countTransactions()) - transactionsBefore
    : Number.NaN;
  const ok = result['2xx'];
  const seconds = (lastResponse - started) / 1000;
  return {
    cpuUs: ok > 0 ? (cpu / ok) * 1e6 : Number.NaN,
    dbTransactionsPer1k: ok > 0 ? (transactions / ok) * 1000 : Number.NaN,
    extraCpuUs: spec.extraPids && ok > 0 ? (extraUsed / ok) * 1e6 : Number.NaN,
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.mismatches,
    requests: result.requests.total,
    seconds,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
