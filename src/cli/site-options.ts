import type { Clock } from '../core/clock';
import { labAt, labInUse, type Lab } from '../world/lab';
import { commandClock } from '../world/lab-clock';

/**
 * Every site-side command works in a lab (--lab, env CCMLAB_LAB, default lab/): its site
 * dir and site logs default to the lab's, and its clock is the lab's. --site-dir (env
 * CCMLAB_SITE_DIR), --log-dir and --now win over the lab. Their options: SITE_OPTIONS.
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

type GivenSiteArgs = LabArgs & { 'site-dir'?: string; 'log-dir'?: string };

/** The site a command works on: --site-dir, else CCMLAB_SITE_DIR, else the lab's; its logs: --log-dir, else the lab's. */
export function resolveSite<A extends GivenSiteArgs>(args: A): A & SiteArgs {
  const lab = labOf(args);
  const fromEnv = process.env.CCMLAB_SITE_DIR;
  const given = args['site-dir'] ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  return {
    ...args,
    'site-dir': given ?? lab.siteDir,
    'log-dir': args['log-dir'] ?? lab.siteLogDir,
    inLab: labInUse(args.lab, given !== undefined) !== undefined,
  };
}

/** A site command's work, given its site (resolveSite). */
export function onSite<A extends GivenSiteArgs>(
  work: (args: A & SiteArgs) => Promise<number>,
): (args: A) => Promise<number> {
  return (args) => work(resolveSite(args));
}
