import * as path from 'node:path';

/**
 * A lab is a small world: one root directory holding the site, the clients and what the
 * machines of a real network share, the clock (the role NTP plays), names (DNS and hosts
 * files) and trusted roots (a GPO-deployed root). These are environment, like the system
 * clock: roles may read them, but they belong to neither the site nor a client.
 */

export const DEFAULT_LAB = 'lab';

export interface Lab {
  root: string;
  /** The default lab keeps its logs in the project's top-level logs/; any other in <root>/logs. */
  logsDir: string;
  siteDir: string;
  siteLogDir: string;
  clientDir(netbios: string): string;
  clientLogDir(netbios: string): string;
}

function namedLab(option: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (option !== undefined && option !== '') return option;
  return env.CCMLAB_LAB !== undefined && env.CCMLAB_LAB !== '' ? env.CCMLAB_LAB : undefined;
}

/** The lab a command works in: --lab, else CCMLAB_LAB, else lab/ (with logs in logs/). */
export function labAt(option?: string, env: NodeJS.ProcessEnv = process.env): Lab {
  const given = namedLab(option, env);
  const root = given ?? DEFAULT_LAB;
  const logsDir = given === undefined ? 'logs' : path.join(root, 'logs');
  return {
    root,
    logsDir,
    siteDir: path.join(root, 'site'),
    siteLogDir: path.join(logsDir, 'site'),
    clientDir: (netbios) => path.join(root, 'clients', netbios),
    clientLogDir: (netbios) => path.join(logsDir, 'clients', netbios),
  };
}

/**
 * The lab whose clock, names and roots a command uses, or none. A lab applies when --lab or
 * CCMLAB_LAB names it, or by default; a command given an explicit directory (--site-dir,
 * --client-dir) outside a named lab works outside every lab, as curl given --cacert trusts
 * that file alone: nothing of the working directory's lab/ leaks into it.
 */
export function labInUse(
  option: string | undefined,
  explicitDir: boolean,
  env: NodeJS.ProcessEnv = process.env,
): Lab | undefined {
  return explicitDir && namedLab(option, env) === undefined ? undefined : labAt(option, env);
}
