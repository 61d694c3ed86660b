import type { Argv } from 'yargs';
import type { Clock } from '../core/clock';
import { openSite, type Site } from '../site/site-dir';
import { labAt, labInUse, type Lab } from '../world/lab';
import { commandClock } from '../world/lab-clock';

/**
 * Every site-side command works in a lab (--lab, env CCMLAB_LAB, default lab/): its site
 * dir and site logs default to the lab's, and its clock is the lab's. --site-dir (env
 * CCMLAB_SITE_DIR), --log-dir and --now win over the lab.
 */

export interface LabArgs {
  lab?: string;
  now?: string;
  json?: boolean;
}

export interface SiteArgs extends LabArgs {
  'site-dir': string;
  'log-dir': string;
  /** False when --site-dir (or CCMLAB_SITE_DIR) points outside any named lab: no lab's clock, names or roots then. */
  inLab?: boolean;
}

export function labOf(args: LabArgs): Lab {
  return labAt(args.lab);
}

/** The lab the command's clock, names and roots come from; undefined for a site outside every lab. */
export function siteLabOf(args: LabArgs & { inLab?: boolean }): Lab | undefined {
  return args.inLab === false ? undefined : labOf(args);
}

/** The command's clock: --now, else CCMLAB_NOW, else the lab clock (the machine's outside a lab). */
export function clockOf(args: LabArgs & { inLab?: boolean }, onKeep?: (message: string) => void): Clock {
  return commandClock(args.now, siteLabOf(args), { onKeep });
}

export function withSiteOptions<T>(y: Argv<T>): Argv<T & SiteArgs> {
  return y
    .option('site-dir', { type: 'string', describe: 'the site directory (default <lab>/site; env CCMLAB_SITE_DIR)', requiresArg: true })
    .option('log-dir', { type: 'string', describe: 'where site logs go (default logs/site, or <lab>/logs/site with --lab)', requiresArg: true })
    .middleware((parsed) => {
      const args = parsed as unknown as Partial<SiteArgs>;
      if (args.inLab !== undefined) return;
      const lab = labOf(args);
      const fromEnv = process.env.CCMLAB_SITE_DIR;
      args['site-dir'] ??= fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
      args.inLab = labInUse(args.lab, args['site-dir'] !== undefined) !== undefined;
      args['site-dir'] ??= lab.siteDir;
      args['log-dir'] ??= lab.siteLogDir;
    }) as unknown as Argv<T & SiteArgs>;
}

/** Opens the site for one command and closes it whatever happens. */
export function withSite<T>(args: SiteArgs, work: (site: Site) => T): T {
  const site = openSite(args['site-dir']);
  try {
    return work(site);
  } finally {
    site.close();
  }
}
