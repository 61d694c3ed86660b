import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeyPairPem } from '../pki/certificates';

/**
 * RSA work on every core at once, for the bench's limits: one worker thread per core, each
 * doing its share synchronously (independent of the size of libuv's thread pool). Workers
 * are started and readied first; the clock runs from the moment all are told to go until
 * the last is done.
 */

type Job = 'keygen' | 'enrollment';

/**
 * The worker, as source (it runs the same from src/ and dist/). `keygen` makes RSA-2048 key
 * pairs and sends back the first `keep` (PEM). `enrollment` is the least an enrollment costs
 * in RSA-2048: 7 signatures (2 certificates, the registration, the token, 2 proofs, the TLS
 * handshake) and 5 verifications (registration, token, 2 proofs, TLS).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const kept = [];
const jobs = {
  keygen: () => (i) => {
    const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    if (i < workerData.keep) kept.push({ publicKeyPem: pair.publicKey, privateKeyPem: pair.privateKey });
  },
  enrollment: () => {
    const privateKey = crypto.createPrivateKey(workerData.keyPem);
    const publicKey = crypto.createPublicKey(privateKey);
    const data = crypto.randomBytes(1024);
    return () => {
      let signature;
      for (let i = 0; i < 7; i++) signature = crypto.sign('sha256', data, privateKey);
      for (let i = 0; i < 5; i++) if (!crypto.verify('sha256', data, publicKey, signature)) throw new Error('verify failed');
    };
  },
};
const job = jobs[workerData.job]();
parentPort.postMessage('ready');
parentPort.once('message', () => {
  for (let i = 0; i < workerData.count; i++) job(i);
  parentPort.postMessage(kept);
});
`;

function started(job: Job, data: Record<string, unknown>): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { job, ...data } });
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

function finished(worker: Worker): Promise<KeyPairPem[]> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** `total` jobs (at least), shared among one worker per core: jobs per second on all cores, and what the workers kept. */
async function onAllCores(
  job: Job,
  total: number,
  data: Record<string, unknown>,
): Promise<{ rate: number; kept: KeyPairPem[] }> {
  const cores = os.availableParallelism();
  const count = Math.ceil(total / cores);
  const workers = await Promise.all(Array.from({ length: cores }, () => started(job, { ...data, count })));
  try {
    const start = process.hrtime.bigint();
    const done = Promise.all(workers.map(finished));
    for (const worker of workers) worker.postMessage('go');
    const kept = (await done).flat();
    return { rate: (count * cores) / (Number(process.hrtime.bigint() - start) / 1e9), kept };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** RSA-2048 key pairs per second on all cores, over at least `total` pairs, and `keep` of the pairs made. */
export async function keygenRate(total: number, keep: number): Promise<{ rate: number; keys: KeyPairPem[] }> {
  const cores = os.availableParallelism();
  const { rate, kept } = await onAllCores('keygen', Math.max(total, keep), { keep: Math.ceil(keep / cores) });
  return { rate, keys: kept.slice(0, keep) };
}

/** Enrollments per second on all cores if each cost only its RSA operations, signing with `keyPem`. */
export async function enrollmentCryptoRate(total: number, keyPem: string): Promise<number> {
  return (await onAllCores('enrollment', total, { keyPem })).rate;
}
