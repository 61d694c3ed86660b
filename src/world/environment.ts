import type { ConnectTo } from '../core/connect-to';
import type { Lab } from './lab';
import { blockedEndpoints } from './lab-firewall';
import { labNames } from './lab-names';
import { labRootsPem } from './lab-roots';

/**
 * What a machine in the lab gets from its network: names that resolve (hosts/DNS) and
 * roots it trusts (GPO). A client is handed these; it reads no site file.
 */
export interface NetworkEnvironment {
  names: ConnectTo[];
  roots: string[];
  /** `HOST:PORT` / `HOST:*` endpoints the lab's firewall refuses. */
  blocked: string[];
}

export const NO_ENVIRONMENT: NetworkEnvironment = { names: [], roots: [], blocked: [] };

export function labEnvironment(lab: Lab): NetworkEnvironment {
  return { names: labNames(lab), roots: labRootsPem(lab), blocked: blockedEndpoints(lab) };
}
