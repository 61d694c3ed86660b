import type { Clock } from '../core/clock';
import { CmLog, SITE_LOG_DEFAULTS } from '../log/logger';

/** Site logs (MP_RegistrationManager.log, CCM_STS.log, …): CMTrace, rolled over to `.lo_`. */
export function openSiteLog(logDir: string, name: string, clock: Clock, source: string): CmLog {
  return new CmLog({ dir: logDir, name, rollover: 'lo_', settings: SITE_LOG_DEFAULTS, clock, source });
}
