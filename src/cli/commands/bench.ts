import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import * as undici from 'undici';
import { generateRsaKeyPair } from '../../pki/certificates';
import { systemClock } from '../../core/clock';
import { formatCmTraceLine } from '../../log/cmtrace-format';
import { CLIENT_LOG_DEFAULTS, CmLog } from '../../log/logger';
import { issueBulkToken, verifySiteToken } from '../../site/token-service';
import type { CommandContext } from '../context';
import { runArticleSetup, startEmbeddedLab } from '../../lab/embedded-lab';
import { withExamples } from '../help-examples';
import { printResult } from '../output';

/**
 * `npm run bench`: each measurement is set against a limit measured in the same run on the
 * same machine (the raw operation underneath it), so the ratio means something on any
 * machine. Every loop has a fixed count and ends by itself.
 */

interface Measurement {
  name: string;
  unit: string;
  value: number;
  limitName: string;
  limit: number;
  /** value / limit: 1 means no overhead over the raw operation. */
  ratio: number;
}

/** Loop counts: the real run, and `--smoke` (tiny, for the test suite: it only shows every part runs). */
interface Counts {
  lines: number;
  tokens: number;
  requests: number;
  clients: number;
}

const FULL: Counts = { lines: 50_000, tokens: 5_000, requests: 2_000, clients: 8 };
const SMOKE: Counts = { lines: 200, tokens: 20, requests: 20, clients: 1 };

async function rate(count: number, work: (i: number) => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await work(i);
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

function measurement(name: string, unit: string, value: number, limitName: string, limit: number): Measurement {
  const round = (n: number) => Number(n.toPrecision(4));
  return { name, unit, value: round(value), limitName, limit: round(limit), ratio: round(value / limit) };
}

async function logging(dir: string, count: number): Promise<Measurement> {
  const rawFile = path.join(dir, 'raw.log');
  const fd = fs.openSync(rawFile, 'a', 0o644);
  const raw = await rate(count, (i) => fs.writeSync(fd, formatCmTraceLine({ message: `line ${i}`, component: 'Raw', type: 1, thread: 1, file: 'bench', time: new Date() })));
  fs.closeSync(fd);
  const log = new CmLog({ dir, name: 'Bench', rollover: 'history', settings: { ...CLIENT_LOG_DEFAULTS, maxSize: 1_000_000, maxHistory: 2 }, clock: systemClock, source: 'bench' });
  const logged = await rate(count, (i) => log.info(`line ${i}`));
  await log.close();
  return measurement('CMTrace logger (winston, rollover)', 'lines/s', logged, 'formatted line + fs.writeSync', raw);
}

async function tokens(count: number): Promise<Measurement> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const hierarchyId = crypto.randomUUID();
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const token = issueBulkToken({ x5t: 'X5T', privateKey }, { hierarchyId, guid: crypto.randomUUID(), notBefore, lifetimeMinutes: 60 });
  const issued = { nbf: notBefore.getTime() / 1000, exp: notBefore.getTime() / 1000 + 3600, blocked: false };
  const [input, signature] = [token.slice(0, token.lastIndexOf('.')), Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')];
  const raw = await rate(count, () => crypto.verify('sha256', Buffer.from(input), publicKey, signature));
  const full = await rate(count, () => verifySiteToken(token, { kind: 'bulk', verifier: { x5t: 'X5T', publicKey }, hierarchyId, now: new Date(), lookupBulkToken: () => issued }));
  return measurement('bulk token verification (all checks)', 'tokens/s', full, 'RSA-SHA256 verify alone', raw);
}

async function requests(lab: Awaited<ReturnType<typeof startEmbeddedLab>>, count: number): Promise<Measurement> {
  const plain = http.createServer((_req, res) => res.end('<MPList/>'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
  const client = new undici.Agent({ keepAliveTimeout: 10_000 });
  const get = async (url: string) => {
    const r = await client.request({ origin: url, path: '/SMS_MP/.sms_aut?MPLIST', method: 'GET' });
    await r.body.text();
  };
  const raw = await rate(count, () => get(plainUrl));
  const mp = await rate(count, () => get(lab.site.ready.mp));
  await client.close();
  await new Promise<void>((resolve) => plain.close(() => resolve()));
  return measurement('MP location request (MPLIST, logged)', 'requests/s', mp, 'bare node:http server, same client', raw);
}

async function enrollment(lab: Awaited<ReturnType<typeof startEmbeddedLab>>, clients: number): Promise<Measurement> {
  const concurrency = Math.min(clients, Math.max(2, os.availableParallelism()));
  // Each client makes two RSA-2048 key pairs: that bounds how fast clients can enroll.
  const keysStart = process.hrtime.bigint();
  await Promise.all(Array.from({ length: clients * 2 }, () => generateRsaKeyPair()));
  const keyBound = clients / (Number(process.hrtime.bigint() - keysStart) / 1e9);
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < clients) await runArticleSetup(lab, `BENCH${String(++next).padStart(4, '0')}`, systemClock, { retryMs: 1 });
    }),
  );
  const enrolled = clients / (Number(process.hrtime.bigint() - start) / 1e9);
  return measurement(`client enrollment through the CMG (${concurrency} at once)`, 'clients/s', enrolled, 'two RSA-2048 key pairs per client', keyBound);
}

export function benchCommand(context: CommandContext): CommandModule<object, { json?: boolean; smoke?: boolean }> {
  return {
    command: 'bench',
    describe: 'measure logging, token checks, MP requests and enrollment against raw limits measured in the same run',
    builder: (y: Argv) =>
      withExamples(y, 'bench').option('smoke', { type: 'boolean', describe: 'tiny counts: check that every measurement runs (figures mean nothing)' }) as unknown as Argv<{ json?: boolean; smoke?: boolean }>,
    handler: (args) =>
      context.run(async () => {
        const counts = args.smoke ? SMOKE : FULL;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccmlab-bench-'));
        try {
          const results: Measurement[] = [];
          process.stderr.write('bench: logging\n');
          results.push(await logging(dir, counts.lines));
          process.stderr.write('bench: tokens\n');
          results.push(await tokens(counts.tokens));
          const lab = await startEmbeddedLab(path.join(dir, 'lab'), systemClock, 60);
          try {
            process.stderr.write('bench: MP requests\n');
            results.push(await requests(lab, counts.requests));
            process.stderr.write('bench: enrollment\n');
            results.push(await enrollment(lab, counts.clients));
          } finally {
            await lab.site.stop();
          }
          printResult(args.json, { machine: { cpus: os.availableParallelism(), node: process.version }, results }, () =>
            `${results.map((r) => `${r.name}: ${r.value} ${r.unit}; limit (${r.limitName}) ${r.limit} ${r.unit}; ratio ${r.ratio}`).join('\n')}\n`,
          );
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
        return 0;
      }),
  };
}
