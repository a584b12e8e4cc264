import type { SETTINGS } from './scenario';
import type { VariantSummary } from './scenario';

export interface Target {
  text: string;
  /** Index of the variant whose ratio is checked against `minRatio`. */
  variant?: number;
  minRatio?: number;
  /** Variant index → minimum req/s. */
  minRps?: Record<number, number>;
  zeroErrors?: boolean;
}

export interface StartupRow {
  label: string;
  ms: number;
  rssMb: number;
}

export interface ScenarioReport {
  id: string;
  title: string;
  summaries?: VariantSummary[];
  startup?: StartupRow[];
  /** Lines printed under the table (derived figures such as cost per request). */
  notes?: string[];
  target: Target;
}

export interface ReportInput {
  startedAt: Date;
  finishedAt: Date;
  cpus: number;
  cpuModel: string;
  node: string;
  postgres: string;
  settings: typeof SETTINGS;
  reports: ScenarioReport[];
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

/** Whether the scenario's target holds; undefined when it has no number to check. */
export function targetMet(report: ScenarioReport): boolean | undefined {
  const { target, summaries } = report;
  if (!summaries) return undefined;
  let met: boolean | undefined;
  if (target.minRatio !== undefined && target.variant !== undefined) {
    met = (summaries[target.variant].ratio ?? 0) >= target.minRatio;
  }
  if (target.minRps) {
    for (const [index, min] of Object.entries(target.minRps)) {
      met = (met ?? true) && summaries[Number(index)].rps >= min;
    }
  }
  if (target.zeroErrors) met = (met ?? true) && summaries.every((s) => s.errors === 0);
  return met;
}

export function renderReport(input: ReportInput): string {
  const lines: string[] = [];
  const s = input.settings;
  lines.push('# Benchmark results', '');
  lines.push(
    `${input.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${input.cpus} CPUs ` +
      `(${input.cpuModel}) · Node ${input.node} · PostgreSQL ${input.postgres} · ` +
      `scenarios 1, 2, 3, 5: ${s.rounds} alternating rounds of ${s.duration} s per variant; ` +
      `4: ${s.longRounds} rounds of ${s.tokenRequests.toLocaleString('en-US')} requests per ` +
      `variant; 6: ${s.longRounds} starts per variant · ` +
      `${s.connections} connections, ` +
      `autocannon in the orchestrator process, each app in its own process, all on loopback · ` +
      `total ${Math.round((input.finishedAt.getTime() - input.startedAt.getTime()) / 1000)} s`,
    '',
  );
  lines.push(
    'Medians over rounds. Ratio: median of the per-round ratios against the first row of the ' +
      'scenario (its baseline, measured in the same rounds). Errors: connection errors, ' +
      'non-2xx answers and wrong bodies, summed over all rounds. App CPU: user + system time ' +
      'of the app process (all threads) per successful request, from /proc; it moves far less ' +
      'than req/s when other load shares the machine. Token endpoint rows add the CPU of the ' +
      'app’s Postgres backends.',
    '',
  );
  lines.push(
    '| # | variant | req/s | p50 ms | p99 ms | errors | app CPU µs/req | ratio | target | met |',
  );
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|---|:-:|');
  for (const report of input.reports) {
    if (!report.summaries) continue;
    const met = targetMet(report);
    report.summaries.forEach((summary, i) => {
      const checked =
        i === report.target.variant ||
        (report.target.minRps !== undefined && report.target.minRps[i] !== undefined);
      lines.push(
        `| ${i === 0 ? report.id : ''} | ${summary.label} | ${fmt(summary.rps)} | ` +
          `${fmt(summary.p50, 1)} | ${fmt(summary.p99, 1)} | ${summary.errors} | ` +
          `${fmt(summary.cpuUs)}${Number.isFinite(summary.dbCpuUs) ? ` (+${fmt(summary.dbCpuUs)} Postgres)` : ''} | ` +
          `${summary.ratio === undefined ? 'baseline' : `${fmt(summary.ratio * 100)} %`} | ` +
          `${i === 0 ? report.target.text : ''} | ` +
          `${checked && met !== undefined ? (met ? '✅' : '❌') : ''} |`,
      );
    });
  }
  const counted = input.reports.flatMap((report) =>
    (report.summaries ?? [])
      .filter((summary) => Number.isFinite(summary.dbTransactionsPer1k))
      .map((summary) => `${report.id} “${summary.label}”: ${fmt(summary.dbTransactionsPer1k, 2)}`),
  );
  if (counted.length) {
    lines.push(
      '',
      'Database transactions per 1,000 guarded requests (pg_stat_database, whole run; the ' +
        'deny-list’s once-a-second catch-up poll is all there is): ' +
        `${counted.join('; ')}. The remote-JWKS resource server has no database and fetched ` +
        'the key set once, before the runs.',
    );
  }
  for (const report of input.reports) {
    for (const note of report.notes ?? []) lines.push('', `**${report.id}.** ${note}`);
  }
  for (const report of input.reports) {
    if (!report.startup) continue;
    lines.push('', `**${report.id}. ${report.title}** (medians of ${s.longRounds} starts)`, '');
    lines.push('| variant | ready after (ms) | RSS after start (MiB) |');
    lines.push('|---|--:|--:|');
    for (const row of report.startup) {
      lines.push(`| ${row.label} | ${fmt(row.ms)} | ${fmt(row.rssMb)} |`);
    }
  }
  lines.push('', 'Scenarios:', '');
  for (const report of input.reports) lines.push(`${report.id}. ${report.title}`);
  lines.push('');
  return lines.join('\n');
}
