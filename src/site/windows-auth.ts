import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { printable } from '../core/text';
import { buildChallenge, fileTime, parseAuthorization, parseNtlmMessage, type AuthScheme } from '../protocol/ntlm';
import { send, type SiteRuntime } from './site-runtime';

/**
 * The MP's Windows-authenticated endpoints (ccm_system_windowsauth) as IIS answers them:
 * NTLM is connection-based, so the three legs of one handshake share a socket (kept alive
 * between them) and a connection stays authenticated once it is. The lab has no domain
 * controller: any domain is accepted and no password is checked; the machine account is
 * recorded and logged.
 */

interface ConnectionAuth {
  pending?: { scheme: AuthScheme; challenge: Buffer };
  account?: string;
}

/** Per connection (the socket the http server hands each request of it). */
const connections = new WeakMap<object, ConnectionAuth>();

const UNAUTHORIZED = { 'www-authenticate': ['Negotiate', 'NTLM'], 'content-type': 'text/plain' };

/** The machine account this request is authenticated as; undefined when a reply (401/400) was sent instead. */
export function windowsAccount(
  runtime: SiteRuntime,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  remote: string,
): string | undefined {
  const log = runtime.logs.registration;
  let state = connections.get(req.socket);
  if (!state) connections.set(req.socket, (state = {}));
  const header = req.headers.authorization;
  if (header === undefined) {
    if (state.account) return state.account;
    send(res, { status: 401, headers: UNAUTHORIZED, body: 'Unauthorized\n' });
    return undefined;
  }
  const parsed = parseAuthorization(header);
  const message = parsed.ok ? parseNtlmMessage(parsed.value.message) : parsed;
  if (!parsed.ok || !message.ok) {
    log.error(`Windows authentication from ${remote} refused: ${printable(message.ok ? '' : message.defect)}.`);
    send(res, {
      status: 400,
      headers: { 'content-type': 'text/plain', connection: 'close' },
      body: 'malformed NTLM message\n',
    });
    return undefined;
  }
  const ntlm = message.value;
  if (ntlm.type === 1) {
    const challenge = crypto.randomBytes(8);
    state.pending = { scheme: parsed.value.scheme, challenge };
    state.account = undefined;
    const config = runtime.site.config;
    const domain = config.mpName.split('.').slice(1).join('.') || 'lab.test';
    const token = buildChallenge({
      requested: ntlm.flags,
      challenge,
      domain: domain.split('.')[0].toUpperCase(),
      computer: runtime.mpNetbios,
      dnsComputer: config.mpName,
      dnsDomain: domain,
      timestamp: fileTime(runtime.clock.now()),
    });
    send(res, {
      status: 401,
      headers: {
        'www-authenticate': `${parsed.value.scheme} ${token.toString('base64')}`,
        'content-type': 'text/plain',
      },
      body: 'Unauthorized\n',
    });
    return undefined;
  }
  if (ntlm.type !== 3 || !state.pending) {
    log.warn(
      `Windows authentication from ${remote} refused: ${ntlm.type === 3 ? 'an AUTHENTICATE message without a challenge on this connection (the handshake must keep one connection)' : "a CHALLENGE message is the server's to send"}.`,
    );
    send(res, { status: 401, headers: { ...UNAUTHORIZED, connection: 'close' }, body: 'Unauthorized\n' });
    return undefined;
  }
  state.pending = undefined;
  state.account = ntlm.domain === '' ? ntlm.user : `${ntlm.domain}\\${ntlm.user}`;
  log.info(
    `Windows authentication of machine account '${printable(state.account)}' (workstation '${printable(ntlm.workstation)}') from ${remote} accepted; the lab checks no password.`,
  );
  return state.account;
}
