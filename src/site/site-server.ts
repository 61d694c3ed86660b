import type * as http from 'node:http';
import type { Clock } from '../core/clock';
import { handleCmg } from './cmg';
import { ensureClientSource } from './client-source';
import { listen, type Listener } from './http-listener';
import { handleMp, type MpRequest } from './mp';
import { openSite } from './site-dir';
import { listenerLimits } from './settings';
import { openSiteLog } from './site-logs';
import {
  readBody,
  remoteOf,
  requestMethod,
  sendText,
  SiteRuntime,
  DEFAULT_SITE_LIMITS,
  type SiteLimits,
} from './site-runtime';
import { printable } from '../core/text';
import { logTextOf } from '../core/errors';

/**
 * A running site: one process, three listeners (MP over HTTP, MP over HTTPS with the
 * SMS Role SSL Certificate, CMG over HTTPS with its server certificate), one database.
 */

export interface StartOptions {
  siteDir: string;
  host: string;
  /** Undefined: the port recorded at site init; 0: any free port. */
  mpPort?: number;
  mpHttpsPort?: number;
  cmgPort?: number;
  logDir: string;
  clock: Clock;
  limits?: SiteLimits;
}

export interface ReadyInfo {
  mp: string;
  mpHttps: string;
  cmg: string;
  roleId: string;
  cmgName: string;
  mpName: string;
  siteCode: string;
  pid: number;
}

export interface RunningSite {
  ready: ReadyInfo;
  runtime: SiteRuntime;
  /** Drains in-flight requests, closes the listeners and the database. */
  stop(): Promise<void>;
}

type Route = (
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  request: Omit<MpRequest, 'caller'>,
) => void;

function requestHandler(runtime: SiteRuntime, route: Route): http.RequestListener {
  return (req, res) => {
    const remote = remoteOf(req);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://site.invalid');
    } catch {
      return sendText(res, 400, 'malformed request target');
    }
    readBody(req, runtime.limits.maxBody)
      .then((body) => {
        if (body === 'too-large') {
          runtime.logs.registration.error(
            `Request ${printable(requestMethod(req))} ${printable(url.pathname)} from ${remote} refused: body over ${runtime.limits.maxBody} bytes.`,
          );
          res.setHeader('connection', 'close');
          return sendText(res, 413, `request body over ${runtime.limits.maxBody} bytes`);
        }
        const contentType = req.headers['content-type'];
        route(runtime, req, res, {
          method: requestMethod(req),
          path: url.pathname,
          query: url.search,
          body,
          contentType,
          remote,
        });
      })
      .catch((error: unknown) => {
        runtime.logs.registration.error(
          `Request ${printable(requestMethod(req))} ${printable(url.pathname)} from ${remote} failed: ${printable(logTextOf(error))}.`,
        );
        if (!res.headersSent) sendText(res, 500, 'internal error');
        else res.destroy();
      });
  };
}

export async function startSite(options: StartOptions): Promise<RunningSite> {
  const site = openSite(options.siteDir);
  const { clock } = options;
  await ensureClientSource(site.dir, clock.now());
  const log = (name: string, source: string) => openSiteLog(options.logDir, name, clock, source);
  const runtime = new SiteRuntime(
    site,
    clock,
    {
      registration: log('MP_RegistrationManager', 'mp_regmgr.cpp'),
      sts: log('CCM_STS', 'CcmSts.cs'),
      location: log('MP_Location', 'mp_location.cpp'),
      policy: log('MP_Policy', 'mp_policy.cpp'),
      cmg: log('CMGService', 'CMGService.cs'),
      connector: log('SMS_CLOUD_PROXYCONNECTOR', 'ProxyConnector.cs'),
    },
    options.limits ?? DEFAULT_SITE_LIMITS,
  );
  const mpRoute: Route = (rt, req, res, request) => handleMp(rt, req, res, { ...request, caller: { via: 'intranet' } });
  // Refused at start; later, the certificate in use is kept and the defect said once per change.
  const tlsOf = (name: 'role-ssl' | 'cmg') => () =>
    runtime.credentials.tls(name, (error) =>
      runtime.logs.cmg.error(
        `The ${name} certificate could not be reloaded (${printable(logTextOf(error))}); the previous one stays in use.`,
      ),
    );
  const mpTls = tlsOf('role-ssl');
  const cmgTls = tlsOf('cmg');
  const onTlsError = (error: Error, remote: string) =>
    runtime.logs.cmg.warn(`TLS handshake with ${remote} failed: ${printable(error.message)}.`);
  const limits = () => listenerLimits(runtime.settings());
  const mpLog = (message: string) => runtime.logs.registration.warn(message);
  const cmgLog = (message: string) => runtime.logs.cmg.warn(message);
  const listeners: Listener[] = [];
  try {
    // A signing certificate beside another certificate's key is refused before anything listens.
    runtime.tokenKeys();
    mpTls();
    cmgTls();
    listeners.push(
      await listen({
        host: options.host,
        port: options.mpPort ?? site.config.ports.mp,
        role: 'the MP (HTTP)',
        handler: requestHandler(runtime, mpRoute),
        limits,
        log: mpLog,
      }),
    );
    listeners.push(
      await listen({
        host: options.host,
        port: options.mpHttpsPort ?? site.config.ports.mpHttps,
        role: 'the MP (HTTPS)',
        tls: mpTls,
        handler: requestHandler(runtime, mpRoute),
        limits,
        log: mpLog,
        onTlsError,
      }),
    );
    listeners.push(
      await listen({
        host: options.host,
        port: options.cmgPort ?? site.config.ports.cmg,
        role: 'the CMG',
        tls: cmgTls,
        handler: requestHandler(runtime, handleCmg),
        limits,
        log: cmgLog,
        onTlsError,
      }),
    );
  } catch (error) {
    await Promise.all(listeners.map((l) => l.close(0)));
    site.close();
    throw error;
  }
  const [mp, mpHttps, cmg] = listeners;
  const { config } = site;
  const ready: ReadyInfo = {
    mp: mp.url,
    mpHttps: mpHttps.url,
    cmg: cmg.url,
    roleId: config.roleId,
    cmgName: config.cmgName,
    mpName: config.mpName,
    siteCode: config.siteCode,
    pid: process.pid,
  };
  // Under the names the lab publishes for them (the loopback ports are the terminal's, in the ready line).
  runtime.logs.registration.info(
    `MP for site ${config.siteCode} listening on http://${config.mpName} and https://${config.mpName}.`,
  );
  runtime.logs.cmg.info(
    `CMG ${config.cmgName} listening on https://${config.cmgName}, fronting MP role ${config.roleId}.`,
  );
  let stopping: Promise<void> | undefined;
  return {
    ready,
    runtime,
    stop: () => {
      stopping ??= (async () => {
        await Promise.all(listeners.map((l) => l.close()));
        runtime.logs.registration.info('MP stopped.');
        runtime.logs.cmg.info('CMG stopped.');
        await Promise.all(Object.values(runtime.logs).map((l) => l.close()));
        site.close();
      })();
      return stopping;
    },
  };
}
