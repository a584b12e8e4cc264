import { median } from './load';
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
  /** The row's target and whether it held (undefined: report only). */
  target?: string;
  met?: boolean;
}

/** A target on one row of a scenario's table, with its verdict. */
export interface RowCheck {
  text: string;
  met: boolean | undefined;
}

/** A small table of its own (cost as data grows): the last two columns are target and verdict. */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: { cells: string[]; target: string; met: boolean | undefined }[];
}

export interface ScenarioReport {
  id: string;
  title: string;
  summaries?: VariantSummary[];
  startup?: StartupRow[];
  /** Lines printed under the table (derived figures such as cost per request). */
  notes?: string[];
  /** Variant index → a target of that row alone, with its verdict (besides `target`). */
  checks?: Record<number, RowCheck>;
  tables?: ReportTable[];
  target: Target;
}

/**
 * Median over rounds of a's req/s ÷ b's in the same round: the ratio between two variants of
 * one alternating run when neither is the scenario's baseline.
 */
export function pairRatio(a: VariantSummary, b: VariantSummary): number {
  return median(a.runs.map((run, round) => run.rps / b.runs[round].rps));
}

/** A ratio as the report prints it: 0.93 → "93 %". */
export const percent = (ratio: number): string => `${Math.round(ratio * 100)} %`;

/** ✅ met, ❌ not met, – nothing to check. */
export function verdict(met: boolean | undefined): string {
  return met === undefined ? '–' : met ? '✅' : '❌';
}

/** Renders a scenario's own table (also printed by the scenario as it finishes). */
export function renderTable(id: string, table: ReportTable): string[] {
  const lines = [`**${id}. ${table.title}**`, ''];
  lines.push(`| ${[...table.columns, 'target', 'met'].join(' | ')} |`);
  lines.push(
    `|${[...table.columns.map((_, i) => (i === 0 ? '---' : '--:')), '---', ':-:'].join('|')}|`,
  );
  for (const row of table.rows) {
    lines.push(`| ${[...row.cells, row.target, verdict(row.met)].join(' | ')} |`);
  }
  return lines;
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
      'scenario (its baseline, measured in the same rounds) unless the row says otherwise. ' +
      'Target and met: the scenario’s target on its first row, a row’s own target beside it ' +
      '(✅ met, ❌ not, – nothing to check). Errors: connection errors, ' +
      'non-2xx answers and wrong bodies, summed over all rounds. App CPU: user + system time ' +
      'of the app process (all threads) per successful request, from /proc; it moves far less ' +
      'than req/s when other load shares the machine. Token endpoint rows add the CPU of the ' +
      'app’s Postgres backends.',
    '',
  );
  // Scenarios with only their own tables (startup, growth) leave the main table out.
  if (input.reports.some((report) => report.summaries)) {
    lines.push(
      '| # | variant | req/s | p50 ms | p99 ms | errors | app CPU µs/req | ratio | target | met |',
    );
    lines.push('|---|---|--:|--:|--:|--:|--:|--:|---|:-:|');
  }
  for (const report of input.reports) {
    if (!report.summaries) continue;
    const met = targetMet(report);
    report.summaries.forEach((summary, i) => {
      const perRow = report.target.variant !== undefined || report.target.minRps !== undefined;
      const checked =
        i === report.target.variant ||
        (report.target.minRps !== undefined && report.target.minRps[i] !== undefined);
      // The scenario's target sits on the row it checks, or on the first row when it has no
      // row of its own (zero errors, report only); a row's own target comes after it.
      const scenarioTarget = checked || (!perRow && i === 0);
      const own = report.checks?.[i];
      const targetCell =
        [scenarioTarget ? report.target.text : '', own?.text ?? ''].filter(Boolean).join('; ') ||
        (summary.ratio === undefined ? 'baseline' : 'report only');
      const verdicts = [
        scenarioTarget && met !== undefined ? verdict(met) : '',
        own ? verdict(own.met) : '',
      ].filter(Boolean);
      lines.push(
        `| ${i === 0 ? report.id : ''} | ${summary.label} | ${fmt(summary.rps)} | ` +
          `${fmt(summary.p50, 1)} | ${fmt(summary.p99, 1)} | ${summary.errors} | ` +
          `${fmt(summary.cpuUs)}${Number.isFinite(summary.dbCpuUs) ? ` (+${fmt(summary.dbCpuUs)} Postgres)` : ''} | ` +
          `${summary.ratio === undefined ? 'baseline' : `${fmt(summary.ratio * 100)} %`} | ` +
          `${targetCell} | ` +
          `${verdicts.join(' ') || '–'} |`,
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
    lines.push('| variant | ready after (ms) | RSS after start (MiB) | target | met |');
    lines.push('|---|--:|--:|---|:-:|');
    for (const row of report.startup) {
      lines.push(
        `| ${row.label} | ${fmt(row.ms)} | ${fmt(row.rssMb)} | ${row.target ?? 'report only'} | ` +
          `${verdict(row.met)} |`,
      );
    }
  }
  for (const report of input.reports) {
    for (const table of report.tables ?? []) lines.push('', ...renderTable(report.id, table));
  }
  lines.push('', 'Scenarios:', '');
  for (const report of input.reports) lines.push(`${report.id}. ${report.title}`);
  lines.push('');
  return lines.join('\n');
}
