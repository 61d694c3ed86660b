import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as undici from 'undici';
import { systemClock } from '../core/clock';
import { formatCmTraceLine } from '../log/cmtrace-format';
import { CLIENT_LOG_DEFAULTS, CmLog } from '../log/logger';
import type { KeyPairPem } from '../pki/certificates';
import { enrollmentCryptoRate, keygenRate } from './bench-crypto';
import { measured, median, merge, round, type BenchPart, type BenchReport } from './bench-report';
import { startupTimes } from './bench-startup';
import { startEmbeddedLab } from '../orchestration/embedded-lab';
import {
  enrollCached,
  enrollCachedRun,
  enrollFresh,
  fillKeyPool,
  startThreadPool,
  type CachedRun,
} from './bench-fleet';
import { tokenVerify } from './bench-token';
import { enrollmentWire } from './bench-wire';
import { prepareKeyCache } from '../fleet/key-cache';
import { openForWrite, removeTree } from '../store/file-writes';

/**
 * `ccmlab bench`: each figure against a limit measured in the same run (bench-report.ts).
 * Loops have fixed counts and end by themselves. Where a figure and its limit are two loops,
 * they alternate in blocks and each is the median of its blocks, so that a burst of load from
 * elsewhere on the machine lands on both alike.
 */

export interface BenchCounts {
  /** RSA-2048 key pairs for keygen_limit (the issue: at least 600). */
  keyPairs: number;
  /** Enrollments' worth of RSA operations for enroll_crypto_limit. */
  enrollments: number;
  /** Cold starts of each command for the startup_* ratios (bench-startup.ts). */
  starts: number;
  /** Fleet clients enrolled with fresh keys for enroll_fresh (the issue: at least 300, 600 pairs). */
  freshClients: number;
  /** Fleet clients enrolled with cached keys for enroll_cached (the issue: 1000). */
  cachedClients: number;
  /** Keep enroll_cached's pool of client keys between runs (false: a temporary one). */
  keepKeyCache: boolean;
  lines: number;
  tokens: number;
  requests: number;
}

export const FULL_COUNTS: BenchCounts = {
  keyPairs: 600,
  enrollments: 400,
  starts: 15,
  freshClients: 300,
  cachedClients: 1000,
  keepKeyCache: true,
  lines: 50_000,
  tokens: 5_000,
  requests: 2_000,
};
/** `--smoke`: every measurement runs, in a few seconds; its figures mean nothing. */
export const SMOKE_COUNTS: BenchCounts = {
  keyPairs: 2,
  enrollments: 2,
  starts: 1,
  freshClients: 2,
  cachedClients: 2,
  keepKeyCache: false,
  lines: 200,
  tokens: 20,
  requests: 20,
};

const BLOCKS = 20;
const BENCH_DIR = {
  label: "bench's temporary directory",
  code: 'CCMLAB_E_STATE_WRITE',
  fix: 'give the bench a writable temporary directory',
} as const;
/** The project's git-ignored lab/: the bench's pool of client keys stays there, so only its first run pays for them. */
const PROJECT_KEY_POOL = path.join(__dirname, '..', '..', 'lab', 'bench-key-cache');

/** Runs `block` calls of `work`, awaiting only those that return a promise, and what they deferred: calls per second. */
async function blockRate(block: number, work: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < block; i++) {
    const result = work();
    if (result instanceof Promise) await result;
  }
  // Work a call deferred (winston's stream bookkeeping) is its cost too.
  await new Promise((resolve) => setImmediate(resolve));
  return block / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** `count` calls of each, alternating in blocks: the median rate (per second) of each. */
async function alternating(
  count: number,
  figure: () => unknown,
  limit: () => unknown,
): Promise<{ figure: number; limit: number }> {
  const block = Math.max(1, Math.floor(count / BLOCKS));
  const rates = { figure: [] as number[], limit: [] as number[] };
  // One block of each first, not counted: the first calls also compile the code they run.
  await blockRate(block, limit);
  await blockRate(block, figure);
  for (let done = 0; done < count; done += block) {
    rates.limit.push(await blockRate(block, limit));
    rates.figure.push(await blockRate(block, figure));
  }
  return { figure: median(rates.figure), limit: median(rates.limit) };
}

export function machine(): Record<string, number> {
  return {
    cpus: os.availableParallelism(),
    memory_mb: Math.round(os.totalmem() / 2 ** 20),
    node_major: Number(process.versions.node.split('.')[0]),
  };
}

async function logWrite(dir: string, counts: BenchCounts): Promise<BenchPart> {
  const fd = openForWrite(path.join(dir, 'raw.log'), 'append', 0o644, BENCH_DIR);
  const log = new CmLog({
    dir,
    name: 'Bench',
    rollover: 'history',
    settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 1_000_000, maxHistory: 2 },
    clock: systemClock,
    source: 'bench',
  });
  let n = 0;
  try {
    const rates = await alternating(
      counts.lines,
      () => log.info(`line ${n++}`),
      () =>
        fs.writeSync(
          fd,
          formatCmTraceLine({
            message: `line ${n++}`,
            component: 'Bench',
            type: 1,
            thread: 1024,
            file: 'bench:1234',
            time: new Date(),
          }),
        ),
    );
    return measured('log_write', rates.figure, rates.limit);
  } finally {
    fs.closeSync(fd);
    await log.close();
  }
}

/** An MP request of the bench takes well under a millisecond: one that takes this long fails the bench. */
const MP_REQUEST_DEADLINE_MS = 30_000;

async function mpRequest(dir: string, counts: BenchCounts, siteKeys: readonly KeyPairPem[]): Promise<BenchPart> {
  const lab = await startEmbeddedLab(path.join(dir, 'lab'), systemClock, 60, siteKeys);
  const plain = http.createServer((_req, res) => res.end('<MPList/>'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const client = new undici.Agent({ keepAliveTimeout: 10_000 });
  // A total deadline per request (undici's own timeouts are idle ones), the same on both sides measured.
  const get = async (origin: string) =>
    (
      await client.request({
        origin,
        path: '/SMS_MP/.sms_aut?MPLIST',
        method: 'GET',
        signal: AbortSignal.timeout(MP_REQUEST_DEADLINE_MS),
      })
    ).body.text();
  try {
    const rates = await alternating(
      counts.requests,
      () => get(lab.site.ready.mp),
      () => get(`http://127.0.0.1:${(plain.address() as { port: number }).port}`),
    );
    return measured('mp_request', rates.figure, rates.limit);
  } finally {
    await client.close();
    await new Promise<void>((resolve) => plain.close(() => resolve()));
    await lab.site.stop();
  }
}

const limit = (name: string, value: number): BenchPart => ({ limits: { [name]: round(value) } });

/**
 * enroll_wire_limit (bench-wire.ts), with two ratios: over enroll_crypto_limit, the most
 * enroll_cached's ratio could reach over Node's TLS and HTTP; and enroll_cached over it, how
 * much of that the full enrollment reaches.
 */
async function enrollWire(counts: BenchCounts, keys: readonly KeyPairPem[], report: BenchReport): Promise<BenchPart> {
  const wire = await enrollmentWire(counts.cachedClients, keys);
  const rate = round(wire.rate);
  const ratio = (n: number, d: number) => round(n / d);
  return {
    figures: {
      enroll_wire_client_cpu_ms: round(wire.clientCpuMs),
      ...(wire.serverCpuMs !== undefined ? { enroll_wire_site_cpu_ms: round(wire.serverCpuMs) } : {}),
    },
    limits: { enroll_wire_limit: rate },
    ratios: {
      enroll_wire_limit: ratio(rate, report.limits.enroll_crypto_limit),
      enroll_cached_of_wire: ratio(report.figures.enroll_cached, rate),
    },
  };
}

/** Key pairs the steps after key generation take from it: the embedded site's four, the first also to sign with (all throwaway). */
const KEPT_PAIRS = 4;

/**
 * Each step of the bench, in order: key generation first, as the issue asks; the later steps
 * use some of its pairs. A step is given the report so far, to set its figure against a
 * limit measured before it.
 */
function steps(
  dir: string,
  counts: BenchCounts,
  keyPool: string,
  poolThreads: number | undefined,
): Array<[label: string, run: (report: BenchReport) => Promise<BenchPart>]> {
  let keys: KeyPairPem[] = [];
  return [
    [
      'key generation',
      async () => {
        const made = await keygenRate(counts.keyPairs, KEPT_PAIRS);
        keys = made.keys;
        return limit('keygen_limit', made.rate);
      },
    ],
    [
      'RSA operations of an enrollment',
      async () => limit('enroll_crypto_limit', await enrollmentCryptoRate(counts.enrollments, keys[0].privateKeyPem)),
    ],
    ['fleet enrollment, fresh keys', (report) => enrollFresh(dir, counts.freshClients, report, poolThreads)],
    [
      'fleet enrollment, cached keys, site in another process',
      (report) =>
        enrollCached(dir, counts.keepKeyCache ? keyPool : path.join(dir, 'key-cache'), counts.cachedClients, report),
    ],
    [
      'the wire of an enrollment alone (TLS and six HTTPS requests), server in another process',
      (report) => enrollWire(counts, keys.slice(2), report),
    ],
    // Two of the kept pairs: the certificates of the enrolled client whose status is read.
    ['startup', () => startupTimes(dir, counts.starts, [keys[2], keys[3]])],
    ['logging', () => logWrite(dir, counts)],
    ['token verification', () => tokenVerify(dir, keys, (figure, limit) => alternating(counts.tokens, figure, limit))],
    ['MP requests', () => mpRequest(dir, counts, keys)],
  ];
}

export async function runBench(
  counts: BenchCounts,
  progress: (label: string) => void,
  keyPool = PROJECT_KEY_POOL,
): Promise<BenchReport> {
  // A pool that cannot be one is refused before minutes of work, not at the step that uses it.
  if (counts.keepKeyCache) prepareKeyCache(keyPool, '--key-pool');
  // libuv's pool takes its size when it starts: started here, before any step, and its threads counted.
  const poolThreads = await startThreadPool();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-bench-'));
  let report: BenchReport = { machine: machine(), figures: {}, limits: {}, ratios: {} };
  try {
    for (const [label, run] of steps(dir, counts, keyPool, poolThreads)) {
      progress(label);
      report = merge(report, await run(report));
    }
    return report;
  } finally {
    removeTree(dir, BENCH_DIR);
  }
}

/**
 * `ccmlab bench --scale N,…`: a fleet of each size with cached keys (from the pool, filled
 * first to the largest), each against a site of its own, smallest first.
 */
export async function runScale(
  sizes: readonly number[],
  progress: (label: string) => void,
  keyPool = PROJECT_KEY_POOL,
): Promise<{ machine: Record<string, number>; runs: CachedRun[] }> {
  const ordered = [...new Set(sizes)].sort((a, b) => a - b);
  const pool = await fillKeyPool(keyPool, ordered[ordered.length - 1], (count) =>
    progress(`keys for ${count} more clients (RSA-2048, two pairs each; kept in ${keyPool} for the next runs)`),
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-bench-scale-'));
  const runs: CachedRun[] = [];
  try {
    for (const clients of ordered) {
      progress(`fleet of ${clients}`);
      runs.push(await enrollCachedRun(dir, pool, clients));
    }
    return { machine: machine(), runs };
  } finally {
    removeTree(dir, BENCH_DIR);
  }
}
