/**
 * The bench's report: each figure against a limit measured in the same run on the same
 * machine, and their ratio, so that the ratio means something on any machine. Every value
 * is a plain number.
 */

export interface BenchReport {
  machine: Record<string, number>;
  figures: Record<string, number>;
  limits: Record<string, number>;
  ratios: Record<string, number>;
}

/** What a measurement adds: a figure with its limit and ratio, or a limit alone (one a later figure is set against). */
export type BenchPart = Partial<Pick<BenchReport, 'figures' | 'limits' | 'ratios'>>;

export interface Target {
  /** The ratio must be at least this (`least`) or at most this (`most`). */
  at: 'least' | 'most';
  ratio: number;
}

/** The targets of the ratios this bench reports (the README's Benchmarks section says why each). */
export const TARGETS: Readonly<Record<string, Target>> = {
  log_write: { at: 'least', ratio: 0.6 },
  enroll_fresh: { at: 'least', ratio: 0.9 },
  // Issue 23: against the wire alone, what ccmlab's own code controls (enroll_crypto_limit is far out of reach: README).
  enroll_cached_of_wire: { at: 'least', ratio: 0.25 },
  startup_version: { at: 'most', ratio: 2 },
  startup_clock_show: { at: 'most', ratio: 2 },
  startup_client_status: { at: 'most', ratio: 2 },
  // It writes ccmsetup.log, through winston.
  startup_ccmsetup_dry_run: { at: 'most', ratio: 2.5 },
  startup_token_tool: { at: 'most', ratio: 2 },
};

/** What each measurement is, for the human table. */
export const DESCRIPTIONS: Readonly<Record<string, { figure: string; limit: string }>> = {
  keygen_limit: { figure: '', limit: 'RSA-2048 key pairs/s, all cores' },
  enroll_crypto_limit: {
    figure: '',
    limit: "enrollments/s if an enrollment's RSA operations were all it cost, all cores",
  },
  enroll_fresh: { figure: 'fleet enrollments/s, fresh keys (ratio: key pairs used/s)', limit: 'keygen_limit' },
  enroll_fresh_threads: {
    figure: "libuv threads enroll_fresh's keys were made on (counted as the pool started)",
    limit: '',
  },
  enroll_cached: { figure: 'fleet enrollments/s, cached keys, site in another process', limit: 'enroll_crypto_limit' },
  enroll_cached_site_cpu_ms: { figure: 'site CPU ms per enrollment (Linux)', limit: '' },
  enroll_cached_client_cpu_ms: { figure: 'fleet (client) CPU ms per enrollment', limit: '' },
  enroll_wire_limit: { figure: '', limit: 'enrollments/s if its TLS handshake and 6 HTTPS requests were all it cost' },
  enroll_wire_client_cpu_ms: { figure: "the wire's client CPU ms per enrollment", limit: '' },
  enroll_wire_site_cpu_ms: { figure: "the wire's server CPU ms per enrollment (Linux)", limit: '' },
  enroll_cached_of_wire: { figure: 'enroll_cached over enroll_wire_limit', limit: '' },
  startup_version: { figure: 'ccmlab --version cold start, ms', limit: 'node -e 0, ms' },
  startup_clock_show: { figure: 'ccmlab clock show cold start, ms', limit: 'node -e 0, ms' },
  startup_client_status: { figure: 'ccmlab client status (an enrolled client) cold start, ms', limit: 'node -e 0, ms' },
  startup_ccmsetup_dry_run: {
    figure: 'ccmsetup /mp: SMSSITECODE= --dry-run cold start (writes ccmsetup.log), ms',
    limit: 'node -e 0, ms',
  },
  startup_token_tool: { figure: 'BulkRegistrationTokenTool /? cold start, ms', limit: 'node -e 0, ms' },
  log_write: { figure: 'CMTrace lines/s through the logger (winston)', limit: 'formatted + fs.writeSync' },
  token_verify: {
    figure: "bulk tokens/s, every check: the signature each time, the token's record in the site's SQLite database",
    limit: 'RSA-SHA256 verifications/s',
  },
  mp_request: { figure: 'MP MPLIST requests/s over keep-alive, logged', limit: 'bare node:http server, same client' },
};

/** A value as the report holds it: four significant digits. */
export const round = (n: number): number => Number(n.toPrecision(4));

/** A figure, its limit and their ratio, as the report holds them. */
export function measured(name: string, figure: number, limit: number): BenchPart {
  return {
    figures: { [name]: round(figure) },
    limits: { [name]: round(limit) },
    ratios: { [name]: round(figure / limit) },
  };
}

/** The middle value of `values` (the upper middle of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Measurements of one step as one part, in their order. */
export function combine(parts: readonly BenchPart[]): BenchPart {
  const all = (key: keyof BenchPart) => Object.assign({}, ...parts.map((part) => part[key])) as Record<string, number>;
  return { figures: all('figures'), limits: all('limits'), ratios: all('ratios') };
}

export function merge(report: BenchReport, part: BenchPart): BenchReport {
  return {
    machine: report.machine,
    figures: { ...report.figures, ...part.figures },
    limits: { ...report.limits, ...part.limits },
    ratios: { ...report.ratios, ...part.ratios },
  };
}

export function targetMet(target: Target, ratio: number): boolean {
  return target.at === 'least' ? ratio >= target.ratio : ratio <= target.ratio;
}

export interface BenchRow {
  measurement: string;
  /** What the figure and the limit are (DESCRIPTIONS). */
  about: string;
  figure: string;
  limit: string;
  ratio: string;
  target: string;
  met: string;
}

const cell = (value: number | undefined): string => (value === undefined ? '' : String(value));

function row(report: BenchReport, name: string): BenchRow {
  const ratio = report.ratios[name];
  const target = TARGETS[name];
  const about = DESCRIPTIONS[name];
  return {
    measurement: name,
    about: about ? [about.figure, about.limit].filter(Boolean).join(' vs ') : '',
    figure: cell(report.figures[name]),
    limit: cell(report.limits[name]),
    ratio: cell(ratio),
    target: target ? `${target.at === 'least' ? '>=' : '<='} ${target.ratio}` : '',
    met: target && ratio !== undefined ? (targetMet(target, ratio) ? 'met' : 'not met') : '',
  };
}

/**
 * One row per limit, in the order measured, with the figure of the same name; then each figure
 * set against a limit of another name (its ratio says how); then ratios of two measurements
 * above. Each with its target, met or not.
 */
export function benchRows(report: BenchReport): BenchRow[] {
  const names = [
    ...Object.keys(report.limits),
    ...Object.keys(report.figures).filter((name) => !(name in report.limits)),
  ];
  names.push(...Object.keys(report.ratios).filter((name) => !names.includes(name)));
  return names.map((name) => row(report, name));
}
