import { CcmlabError } from './errors';
import { hostNameDefect } from './host-name';

/**
 * curl's --connect-to HOST1:PORT1:HOST2:PORT2: a connection meant for HOST1:PORT1 goes
 * to HOST2:PORT2 instead, while TLS still checks HOST1. An empty field matches any
 * host or port (left) or keeps the original (right). IPv6 addresses go in brackets.
 */
export interface ConnectTo {
  host: string;
  port: number | undefined;
  toHost: string;
  toPort: number | undefined;
  /** As given, for logs and state. */
  text: string;
}

const FIELD = /\[[^\]]*\]|[^:]*/g;

function splitFields(text: string): string[] {
  const fields: string[] = [];
  let rest = text;
  for (;;) {
    FIELD.lastIndex = 0;
    const m = FIELD.exec(rest);
    const field = m ? m[0] : '';
    fields.push(field);
    rest = rest.slice(field.length);
    if (!rest.startsWith(':')) break;
    rest = rest.slice(1);
  }
  if (rest !== '') fields.push(rest);
  return fields;
}

function parsePort(field: string, text: string): number | undefined {
  if (field === '') return undefined;
  const port = /^\d{1,5}$/.test(field) ? Number(field) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--connect-to '${text}': '${field}' is not a port from 1 to 65535`);
  }
  return port;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function parseConnectTo(text: string): ConnectTo {
  const fields = splitFields(text);
  if (fields.length !== 4) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--connect-to '${text}' has ${fields.length} fields; write HOST:PORT:ADDR:PORT2, e.g. CONTOSO.CLOUDAPP.NET:443:127.0.0.1:50443`,
    );
  }
  const [host, port, toHost, toPort] = fields;
  for (const name of [host, toHost]) {
    const defect = name === '' ? undefined : hostNameDefect(name);
    if (defect) throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--connect-to '${text}': host '${name}' ${defect}`);
  }
  if (toHost === '' && toPort === '') {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--connect-to '${text}' redirects nothing (ADDR and PORT2 are both empty); give where the connection goes, e.g. CONTOSO.CLOUDAPP.NET:443:127.0.0.1:50443`,
    );
  }
  return {
    host: unbracket(host).toLowerCase(),
    port: parsePort(port, text),
    toHost: unbracket(toHost),
    toPort: parsePort(toPort, text),
    text,
  };
}

/** Where a connection to host:port really goes, by the first matching entry. */
export function resolveConnectTo(
  entries: readonly ConnectTo[],
  host: string,
  port: number,
): { host: string; port: number } {
  const lower = host.toLowerCase();
  for (const e of entries) {
    if ((e.host === '' || e.host === lower) && (e.port === undefined || e.port === port)) {
      return { host: e.toHost === '' ? host : e.toHost, port: e.toPort ?? port };
    }
  }
  return { host, port };
}
