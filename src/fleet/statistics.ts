import type { EnrollPhase } from '../client/enroll';
import type { PhaseMs } from './journal';

/**
 * What a fleet run counts: clients enrolled and failed (by error code, with the first
 * client's message), and the duration of every phase of every enrolled client, as plain
 * numbers (8 bytes each), from which the summary's percentiles come.
 */

const PHASES: readonly EnrollPhase[] = ['keys', 'metadata', 'registration', 'token', 'location'];

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface FailureGroup {
  code: string;
  count: number;
  /** The first client that failed so, and why. */
  first: { name: string; message: string };
}

export interface StatisticsSummary {
  enrolled: number;
  failed: number;
  failures: FailureGroup[];
  /** Per phase and for the whole client, in milliseconds; null for a phase no enrolled client went through. */
  latencyMs: Record<EnrollPhase | 'client', Percentiles | null>;
}

/** The nearest-rank percentile of ascending `sorted` (0 when empty). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => Number(percentile(sorted, p).toFixed(1));
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** Failures by error code, most frequent first, each with the first client that failed so. */
export class FailureTally {
  private readonly groups = new Map<string, FailureGroup>();
  count = 0;

  add(code: string, name: string, message: string): void {
    this.count++;
    const group = this.groups.get(code) ?? { code, count: 0, first: { name, message } };
    group.count++;
    this.groups.set(code, group);
  }

  list(): FailureGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  }
}

export class FleetStatistics {
  private readonly durations = new Map<EnrollPhase | 'client', number[]>();
  private readonly failures = new FailureTally();
  private enrolled = 0;

  private record(phase: EnrollPhase | 'client', ms: number): void {
    const list = this.durations.get(phase) ?? [];
    list.push(ms);
    this.durations.set(phase, list);
  }

  addEnrolled(phases: PhaseMs, clientMs: number): void {
    this.enrolled++;
    for (const phase of PHASES) if (phases[phase] !== undefined) this.record(phase, phases[phase]);
    this.record('client', clientMs);
  }

  addFailed(code: string, name: string, message: string): void {
    this.failures.add(code, name, message);
  }

  get counts(): { enrolled: number; failed: number } {
    return { enrolled: this.enrolled, failed: this.failures.count };
  }

  summary(): StatisticsSummary {
    const latencyMs = Object.fromEntries(
      [...PHASES, 'client' as const].map((phase) => [phase, percentiles(this.durations.get(phase) ?? [])]),
    ) as StatisticsSummary['latencyMs'];
    return { enrolled: this.enrolled, failed: this.failures.count, failures: this.failures.list(), latencyMs };
  }
}
