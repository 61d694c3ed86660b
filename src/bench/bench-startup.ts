import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { saveClient, tokenInfo, type ClientConfig } from '../client/client-state';
import { createCertificates } from '../client/identity';
import { systemClock } from '../core/clock';
import { CLIENT_LOG_DEFAULTS } from '../log/log-settings';
import { certificateDer, privateKeyOf, type KeyPairPem } from '../pki/certificates';
import { issueClientToken } from '../site/token-service';
import { labAt } from '../world/lab';
import { combine, measured, median, type BenchPart } from './bench-report';

/**
 * The startup step of `ccmlab bench`: cold starts of five commands a user runs, each against
 * Node doing nothing (`node -e 0`). Starts go round the commands, each command's start right
 * after a `node -e 0` of its own, so that load from elsewhere lands on a figure and its limit
 * alike; each is the median of its starts, in milliseconds.
 */

/** The machine whose client `client status` reads, in the bench's lab. */
const NETBIOS = 'BENCH01';
/** The ccmsetup command line of the dry run, and the one the enrolled client was installed with. */
const SETUP_ARGS = ['/mp:https://mp01.lab.test', 'SMSSITECODE=ABC'];

type Program = 'ccmlab' | 'ccmsetup' | 'BulkRegistrationTokenTool';

/** Each measured command by its ratio's name: the program (bin/) and its arguments, in a lab at `lab`. */
export function startupCommands(lab: string): Record<string, [program: Program, ...args: string[]]> {
  return {
    startup_version: ['ccmlab', '--version'],
    startup_clock_show: ['ccmlab', 'clock', 'show', '--lab', lab],
    startup_client_status: ['ccmlab', 'client', 'status', '--lab', lab, '--netbios', NETBIOS],
    startup_ccmsetup_dry_run: [
      'ccmsetup',
      ...SETUP_ARGS,
      '--dry-run',
      '--lab',
      lab,
      '--log-dir',
      path.join(lab, 'logs', 'ccmsetup'),
    ],
    startup_token_tool: ['BulkRegistrationTokenTool', '/?'],
  };
}

/**
 * The state an enrolled client keeps, written without a site (a few milliseconds, where an
 * enrollment would need a site started): its two certificates (from `keys`) and a unique token
 * signed with its own signing key, which no site checks here. `client status` reads and checks
 * every file of it as it would those of a client ccmsetup installed.
 */
export async function writeEnrolledClient(lab: string, keys: readonly [KeyPairPem, KeyPairPem]): Promise<void> {
  const now = new Date();
  const certificates = await createCertificates(systemClock, { signing: keys[0], encryption: keys[1] });
  const smsid = `GUID:${crypto.randomUUID().toUpperCase()}`;
  const token = issueClientToken(
    { x5t: 'BENCH', privateKey: privateKeyOf(keys[0].privateKeyPem) },
    {
      hierarchyId: crypto.randomUUID(),
      smsid,
      signingCertificateDer: certificateDer(certificates.signing.certificatePem),
      issuedAt: now,
      jti: crypto.randomUUID(),
    },
  );
  const config: ClientConfig = {
    schemaVersion: 1,
    smsid,
    netbios: NETBIOS,
    fqdn: `${NETBIOS.toLowerCase()}.lab.test`,
    siteCode: 'ABC',
    assignedMp: 'https://mp01.lab.test',
    internetMp: null,
    cmg: null,
    location: 'intranet',
    registeredBy: 'intranet',
    registration: 'registered',
    commandLine: SETUP_ARGS.join(' '),
    token: tokenInfo(token),
    mpKeyInformation: null,
    connectTo: [],
    crlCheck: true,
    logDir: labAt(lab).clientLogDir(NETBIOS),
    logSettings: CLIENT_LOG_DEFAULTS,
    installedAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await saveClient(labAt(lab).clientDir(NETBIOS), { config, ...certificates, trustedRoot: null, token });
}

/** Milliseconds from spawning `node args` to its exit; a start that fails fails the bench. */
function coldStart(args: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - start) / 1e6)
        : reject(new Error(`node ${args.join(' ')} exited ${code}`)),
    );
  });
}

/**
 * `starts` cold starts of each command in a lab made in `dir` with one enrolled client (its
 * certificates from `keys`), each after a `node -e 0` of its own: a figure, limit and ratio per
 * command (bench-report.ts).
 */
export async function startupTimes(
  dir: string,
  starts: number,
  keys: readonly [KeyPairPem, KeyPairPem],
): Promise<BenchPart> {
  const lab = path.join(dir, 'startup-lab');
  await writeEnrolledClient(lab, keys);
  const bin = path.join(__dirname, '..', '..', 'bin');
  const commands = Object.entries(startupCommands(lab)).map(([name, [program, ...args]]) => ({
    name,
    args: [path.join(bin, `${program}.js`), ...args],
    times: { figure: [] as number[], limit: [] as number[] },
  }));
  // One start of each first, not counted: the first reads its files from disk.
  for (const { args } of commands) await coldStart(args);
  for (let i = 0; i < starts; i++)
    for (const { args, times } of commands) {
      times.limit.push(await coldStart(['-e', '0']));
      times.figure.push(await coldStart(args));
    }
  return combine(commands.map(({ name, times }) => measured(name, median(times.figure), median(times.limit))));
}
