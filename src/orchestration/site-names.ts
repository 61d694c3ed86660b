import type { ReadyInfo } from '../site/site-server';
import type { Lab } from '../world/lab';
import { publishNames } from '../world/lab-names';

/** A running site's listeners under their real names, as the lab's DNS answers them. */
export function siteNames(ready: ReadyInfo, host: string): Record<string, string> {
  const at = (url: string) => `${host}:${new URL(url).port}`;
  const netbios = ready.mpName.split('.')[0];
  return {
    [`${ready.cmgName}:443`]: at(ready.cmg),
    [`${ready.mpName}:80`]: at(ready.mp),
    [`${ready.mpName}:443`]: at(ready.mpHttps),
    [`${netbios}:80`]: at(ready.mp),
    [`${netbios}:443`]: at(ready.mpHttps),
  };
}

export function publishSiteNames(lab: Lab, ready: ReadyInfo, host: string): void {
  publishNames(lab, siteNames(ready, host));
}
