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

/** The lab a command works in: --lab, else CCMLAB_LAB, else lab/ (with logs in logs/). */
export function labAt(option?: string, env: NodeJS.ProcessEnv = process.env): Lab {
  const given = option !== undefined && option !== '' ? option : env.CCMLAB_LAB !== undefined && env.CCMLAB_LAB !== '' ? env.CCMLAB_LAB : undefined;
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
