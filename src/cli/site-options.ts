import type { Argv } from 'yargs';
import { openSite, type Site } from '../site/site-dir';
import { DEFAULT_SITE_LOG_DIR } from '../site/site-logs';

/** Every site-side command takes --site-dir (env CCMLAB_SITE_DIR) and --log-dir. */
export const DEFAULT_SITE_DIR = 'lab/site';

export interface SiteArgs {
  'site-dir': string;
  'log-dir': string;
  now?: string;
  json?: boolean;
}

export function siteDirDefault(env: NodeJS.ProcessEnv = process.env): string {
  return env.CCMLAB_SITE_DIR && env.CCMLAB_SITE_DIR !== '' ? env.CCMLAB_SITE_DIR : DEFAULT_SITE_DIR;
}

export function withSiteOptions<T>(y: Argv<T>): Argv<T & SiteArgs> {
  return y
    .option('site-dir', { type: 'string', default: siteDirDefault(), describe: 'the site directory (env CCMLAB_SITE_DIR)', requiresArg: true })
    .option('log-dir', { type: 'string', default: DEFAULT_SITE_LOG_DIR, describe: 'where site logs go', requiresArg: true }) as unknown as Argv<T & SiteArgs>;
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
