import { CcmlabError, type ErrorCode } from '../core/errors';
import { hostNameDefect } from '../core/host-name';
import { REDACTED, redactTokens } from '../core/secrets';
import { decodeText, escapeControl, nearest, printable } from '../core/text';
import { readBoundedFile } from '../store/files';
import { quoteWindowsArgument, splitWindowsCommandLine } from '../core/windows-command-line';
import { CLIENT_LOG_DEFAULTS, MIN_LOG_SIZE, type CcmLogLevel, type LogSettings } from '../log/log-settings';
import { cmgHostName, tokenEnrollmentCommandLine } from '../protocol/cmg-address';
import { BULK_TOKEN_CLAIMS, claimShapeDefect, decodeJwt, headerShapeDefect } from '../protocol/jwt';
import { AAD_PROPERTIES, KNOWN_PROPERTIES, SWITCHES, type SwitchSpec } from './setup-switches';

/**
 * The ccmsetup command line: `/name[:value]` parameters and `NAME=value` properties in
 * any order, names case-insensitive, values verbatim, plus a /config file whose
 * `Install=` line is split by Windows rules (the command line wins over it). Everything
 * is checked here, before ccmsetup does anything else.
 */

export type SetupArgument =
  | { kind: 'switch'; spec: SwitchSpec; value: string | undefined; text: string }
  | { kind: 'property'; name: string; value: string; text: string };

export interface ManagementPoint {
  url: string;
  kind: 'cmg' | 'intranet';
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** CMG only: the MP role ID after /CCM_Proxy_MutualAuth/, a decimal string (larger than 2^53). */
  roleId?: string;
}

export interface CloudGateway {
  host: string;
  port: number;
  roleId: string;
  /** The internet MP as ClientLocation.log names it: https://HOST/CCM_Proxy_MutualAuth/ID */
  url: string;
}

export type SetupMode = 'cmg-bulk-token' | 'intranet' | 'internet-existing-token' | 'internet-pki' | 'uninstall';

export interface SetupCommand {
  parameters: Record<string, string | true | string[]>;
  properties: Record<string, string>;
  mp: ManagementPoint[];
  ccmHostName: string | null;
  cmg: CloudGateway | null;
  siteCode: string | null;
  regToken: { header: Record<string, unknown>; claims: Record<string, unknown> } | null;
  mode: SetupMode;
  warnings: string[];
  logSettings: LogSettings;
  /** RESETKEYINFORMATION=TRUE: drop the MP key information the client kept. */
  resetKeyInformation: boolean;
  /** The command line as ccmsetup.log records it, /regtoken redacted. */
  commandLine: string;
}

export interface ParsedSetup {
  command: SetupCommand;
  /** Kept apart from the model so that nothing that prints or stores the model can leak it. */
  regToken: string | undefined;
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const CMG_PATH = /^\/CCM_Proxy_MutualAuth\/(\d+)\/?$/i;

/** A refused command line; ccmsetup.log states it as `logText` (the message less a command to run). */
function fail(code: ConstructorParameters<typeof CcmlabError>[0], message: string, logText = message): never {
  throw new CcmlabError(code, message, { logText });
}

export function classifyArgument(text: string): SetupArgument {
  if (text.startsWith('/')) {
    const colon = text.indexOf(':');
    const name = colon < 0 ? text.slice(1) : text.slice(1, colon);
    const value = colon < 0 ? undefined : text.slice(colon + 1);
    const spec = SWITCHES.get(name.toLowerCase());
    if (!spec) {
      const names = [...SWITCHES.values()].map((s) => s.name);
      const suggestion = nearest(name, names);
      fail(
        'CCMSETUP_E_UNKNOWN_SWITCH',
        `'/${name}' is not a ccmsetup parameter${suggestion ? `; did you mean /${suggestion}?` : ''} (ccmsetup /? lists them)`,
        `'/${name}' is not a ccmsetup parameter`,
      );
    }
    return { kind: 'switch', spec, value, text };
  }
  const equals = text.indexOf('=');
  if (equals > 0 && PROPERTY_NAME.test(text.slice(0, equals))) {
    return { kind: 'property', name: text.slice(0, equals).toUpperCase(), value: text.slice(equals + 1), text };
  }
  return fail(
    'CCMSETUP_E_BAD_ARGUMENT',
    `'${text}' is neither a /parameter nor a PROPERTY=value; quote values that hold spaces, e.g. /source:"\\\\server\\share"`,
  );
}

function splitList(value: string): string[] {
  return value
    .split(';')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function switchValue(arg: Extract<SetupArgument, { kind: 'switch' }>): string | true | string[] {
  const { spec, value } = arg;
  if (spec.value === 'none') {
    if (value !== undefined)
      fail('CCMSETUP_E_BAD_SWITCH_VALUE', `/${spec.name} takes no value; write it as /${spec.name}`);
    return true;
  }
  if (value === undefined || value === '') {
    fail('CCMSETUP_E_BAD_SWITCH_VALUE', `/${spec.name} needs a value: write /${spec.name}:<value>`);
  }
  if (spec.choices) {
    const choice = spec.choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!choice)
      fail(
        'CCMSETUP_E_BAD_SWITCH_VALUE',
        `/${spec.name}:${value} is not allowed; use one of ${spec.choices.join(', ')}`,
      );
    return choice;
  }
  if (spec.value === 'integer' && !/^\d{1,9}$/.test(value)) {
    fail('CCMSETUP_E_BAD_SWITCH_VALUE', `/${spec.name}:${value} is not a whole number of minutes`);
  }
  if (spec.value === 'list') {
    const items = splitList(value);
    if (items.length === 0)
      fail('CCMSETUP_E_BAD_SWITCH_VALUE', `/${spec.name} has an empty list; separate entries with ';'`);
    return items;
  }
  return spec.value === 'repeat' ? [value] : value;
}

interface Collected {
  parameters: Map<string, { spec: SwitchSpec; value: string | true | string[] }>;
  properties: Map<string, string>;
  warnings: string[];
}

function collect(args: readonly SetupArgument[], origin: string): Collected {
  const parameters = new Map<string, { spec: SwitchSpec; value: string | true | string[] }>();
  const properties = new Map<string, string>();
  const warnings: string[] = [];
  for (const arg of args) {
    if (arg.kind === 'property') {
      if (properties.has(arg.name) && properties.get(arg.name) !== arg.value) {
        warnings.push(
          `Property ${arg.name} is given more than once in the ${origin}; the last value (${printable(redactTokens(arg.value))}) is used.`,
        );
      }
      properties.set(arg.name, arg.value);
      continue;
    }
    const key = arg.spec.name;
    const value = switchValue(arg);
    const earlier = parameters.get(key);
    if (earlier && arg.spec.value === 'repeat') {
      (earlier.value as string[]).push(...(value as string[]));
      continue;
    }
    if (earlier) fail('CCMSETUP_E_DUPLICATE_SWITCH', `/${key} is given more than once in the ${origin}; give it once`);
    parameters.set(key, { spec: arg.spec, value });
  }
  return { parameters, properties, warnings };
}

/** The `Install=` line of the `[Client Install]` section of a mobileclient.tcf-shaped file. */
export function readConfigInstallLine(file: string, readFile: (path: string) => Buffer = readConfigFile): string[] {
  const bytes = readFile(file);
  let section = '';
  for (const raw of decodeText(bytes).split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      section = header[1].trim().toLowerCase();
      continue;
    }
    const m = /^install\s*=(.*)$/i.exec(line);
    if (m && section === 'client install') return splitWindowsCommandLine(m[1].trim());
  }
  return fail('CCMSETUP_E_BAD_CONFIG_FILE', `/config:${file} has no 'Install=' line in a [Client Install] section`);
}

/** /config:'s file: regular, at most 1 MiB. */
export function readConfigFile(file: string): Buffer {
  return readBoundedFile(file, MAX_CONFIG_BYTES, {
    label: '/config:',
    code: 'CCMSETUP_E_BAD_CONFIG_FILE',
    fix: 'give the path of a mobileclient.tcf-style file',
  });
}

/** The host as typed in `host[:port]`, checked before URL can rewrite it (full-width letters, IDNA). */
function checkTypedHost(hostPort: string, code: ErrorCode, what: string): void {
  if (hostPort.includes('@')) return; // credentials are refused on their own
  const host = /^(\[[^\]]*\]|[^:]*)/.exec(hostPort)?.[1] ?? hostPort;
  const defect = hostNameDefect(host);
  if (defect) fail(code, `${what}: host '${host}' ${defect}`);
}

function parseMpEntry(entry: string, where: string): ManagementPoint {
  const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(entry);
  // URL lower-cases the host; logs show it as the admin typed it.
  const authority = /^(?:[^:/]+:\/\/)?([^/?#]*)/.exec(entry)?.[1] ?? '';
  checkTypedHost(authority, 'CCMSETUP_E_BAD_MP', `${where} '${entry}'`);
  let url: URL;
  try {
    url = new URL(hasScheme ? entry : `http://${entry}`);
  } catch {
    return fail(
      'CCMSETUP_E_BAD_MP',
      `${where} '${entry}' is not a management point name or URL; write a name (SMSMP01), http://name or https://name`,
    );
  }
  const scheme = url.protocol === 'https:' ? 'https' : url.protocol === 'http:' ? 'http' : undefined;
  if (!scheme)
    fail('CCMSETUP_E_BAD_MP', `${where} '${entry}' uses ${url.protocol}//; a management point is http:// or https://`);
  if (url.username || url.password || url.search || url.hash) {
    fail(
      'CCMSETUP_E_BAD_MP',
      `${where} '${entry}' carries credentials, a query or a fragment; give only scheme, host, port and path`,
    );
  }
  const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
  const cmg = CMG_PATH.exec(url.pathname);
  if (/CCM_Proxy_MutualAuth/i.test(url.pathname) && !cmg) {
    fail(
      'CCMSETUP_E_BAD_MP',
      `${where} '${entry}' is not a CMG address; the form is https://<cmg>/CCM_Proxy_MutualAuth/<MP role ID digits>`,
    );
  }
  if (cmg) {
    if (scheme !== 'https')
      fail(
        'CCMSETUP_E_BAD_MP',
        `${where} '${entry}' is a CMG, which only answers https://; write https://${authority}${url.pathname}`,
      );
    return {
      url: `https://${cmgHostName(authority, cmg[1])}`,
      kind: 'cmg',
      scheme,
      host: url.hostname,
      port,
      roleId: cmg[1],
    };
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    fail('CCMSETUP_E_BAD_MP', `${where} '${entry}' has a path; an intranet MP is just http(s)://name[:port]`);
  }
  return { url: `${scheme}://${authority}`, kind: 'intranet', scheme, host: url.hostname, port };
}

/** CCMHOSTNAME: a host name (internet MP) or the CMG form; the CMG, if it is one. */
function parseCcmHostName(value: string): CloudGateway | null {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
    fail(
      'CCMSETUP_E_BAD_CCMHOSTNAME',
      `CCMHOSTNAME=${value} must not have a scheme; write CCMHOSTNAME=${value.replace(/^[^:]+:\/\//, '')}`,
    );
  }
  const slash = value.indexOf('/');
  const hostPort = slash < 0 ? value : value.slice(0, slash);
  const pathPart = slash < 0 ? '' : value.slice(slash);
  checkTypedHost(hostPort, 'CCMSETUP_E_BAD_CCMHOSTNAME', `CCMHOSTNAME=${value}`);
  let url: URL;
  try {
    url = new URL(`https://${hostPort}`);
  } catch {
    return fail('CCMSETUP_E_BAD_CCMHOSTNAME', `CCMHOSTNAME=${value} does not start with a host name`);
  }
  if (url.pathname !== '/' || hostPort === '')
    fail('CCMSETUP_E_BAD_CCMHOSTNAME', `CCMHOSTNAME=${value} does not start with a host name`);
  if (pathPart === '') return null;
  const cmg = CMG_PATH.exec(pathPart);
  if (!cmg) {
    fail(
      'CCMSETUP_E_BAD_CCMHOSTNAME',
      `CCMHOSTNAME=${value} is neither a host name nor the CMG form <cmg>/CCM_Proxy_MutualAuth/<MP role ID digits>`,
    );
  }
  const port = url.port ? Number(url.port) : 443;
  return { host: url.hostname, port, roleId: cmg[1], url: `https://${cmgHostName(hostPort, cmg[1])}` };
}

function booleanProperty(name: string, value: string): boolean {
  const v = value.trim().toUpperCase();
  if (v === 'TRUE' || v === '1') return true;
  if (v === 'FALSE' || v === '0') return false;
  return fail('CCMSETUP_E_BAD_PROPERTY_VALUE', `${name}=${value} is not TRUE or FALSE`);
}

function integerProperty(name: string, value: string, min: number, max: number, hint: string): number {
  const n = /^\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(n >= min && n <= max)) fail('CCMSETUP_E_BAD_PROPERTY_VALUE', `${name}=${value} is not allowed: ${hint}`);
  return n;
}

/** The client.msi logging properties, as the client's logs will honour them. */
export function clientLogSettings(properties: Record<string, string>): LogSettings {
  const settings: LogSettings = { ...CLIENT_LOG_DEFAULTS };
  if (properties.CCMENABLELOGGING !== undefined)
    settings.enabled = booleanProperty('CCMENABLELOGGING', properties.CCMENABLELOGGING);
  if (properties.CCMDEBUGLOGGING !== undefined)
    settings.debug = booleanProperty('CCMDEBUGLOGGING', properties.CCMDEBUGLOGGING);
  if (properties.CCMLOGLEVEL !== undefined) {
    settings.level = integerProperty(
      'CCMLOGLEVEL',
      properties.CCMLOGLEVEL,
      0,
      3,
      'use 0 (verbose) to 3 (errors only)',
    ) as CcmLogLevel;
  }
  if (properties.CCMLOGMAXSIZE !== undefined) {
    settings.maxSize = integerProperty(
      'CCMLOGMAXSIZE',
      properties.CCMLOGMAXSIZE,
      MIN_LOG_SIZE,
      2 ** 31 - 1,
      `a size in bytes of at least ${MIN_LOG_SIZE}`,
    );
  }
  if (properties.CCMLOGMAXHISTORY !== undefined) {
    settings.maxHistory = integerProperty(
      'CCMLOGMAXHISTORY',
      properties.CCMLOGMAXHISTORY,
      0,
      1000,
      'a count of history files from 0 to 1000',
    );
  }
  return settings;
}

function checkProperties(properties: Record<string, string>, warnings: string[]): void {
  for (const name of Object.keys(properties)) {
    if (AAD_PROPERTIES.has(name)) {
      warnings.push(
        `Property ${name} is accepted but not emulated: ccmlab has no Microsoft Entra ID; the client uses its token instead.`,
      );
    } else if (!KNOWN_PROPERTIES.has(name)) {
      warnings.push(
        `Property ${name} is not a client installation property; it is passed on to client.msi, which ignores it.`,
      );
    }
  }
  if (properties.CCMALWAYSINF !== undefined) booleanProperty('CCMALWAYSINF', properties.CCMALWAYSINF);
  if (properties.CCMFIRSTCERT !== undefined) booleanProperty('CCMFIRSTCERT', properties.CCMFIRSTCERT);
  for (const port of ['CCMHTTPPORT', 'CCMHTTPSPORT']) {
    if (properties[port] !== undefined) integerProperty(port, properties[port], 1, 65535, 'a port from 1 to 65535');
  }
}

function parseSiteCode(value: string | undefined, ccmHostName: string | null): string | null {
  if (value === undefined) return null;
  const upper = value.trim().toUpperCase();
  if (upper === 'AUTO') {
    if (ccmHostName !== null) {
      fail(
        'CCMSETUP_E_AUTO_WITH_CCMHOSTNAME',
        'SMSSITECODE=AUTO cannot be combined with CCMHOSTNAME: an internet client cannot look up its site; give the 3-character site code',
      );
    }
    return 'AUTO';
  }
  if (!/^[A-Z0-9]{3}$/.test(upper)) {
    fail(
      'CCMSETUP_E_BAD_SITECODE',
      `SMSSITECODE=${value} is not a site code: use the site's 3 letters or digits (e.g. ABC), or AUTO`,
    );
  }
  return upper;
}

/** What was copied with the token: quotes a shell kept, or a trailing CR, newline or space. */
function tokenWrappingDefect(token: string): string | undefined {
  if (/^(["'`]).*\1$/s.test(token) || /^["'`]|["'`]$/.test(token))
    return 'is wrapped in quotes, which belong to no token: pass it without them';
  // trimEnd drops what \s+$ would match, without retrying that expression at every space of a long run.
  const trailing = token.slice(token.trimEnd().length);
  if (trailing)
    return `ends with ${trailing.includes('\r') ? 'a carriage return (CR)' : trailing.includes('\n') ? 'a newline' : 'whitespace'} copied with the token: remove it`;
  if (/^\s/.test(token)) return 'starts with whitespace copied with the token: remove it';
  return undefined;
}

function decodeRegToken(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const hint = "pass the whole token printed on the 5th line of 'BulkRegistrationTokenTool /new'";
  const refuse: (what: string) => never = (what) => fail('CCMSETUP_E_BAD_REGTOKEN', `${what}; ${hint}`, what);
  const wrapping = tokenWrappingDefect(token);
  if (wrapping) refuse(`/regtoken ${wrapping}`);
  const decoded = decodeJwt(token);
  if (!decoded.ok) refuse(`/regtoken is not a bulk registration token: ${decoded.defect}`);
  const defect = headerShapeDefect(decoded.jwt.header) ?? claimShapeDefect(decoded.jwt.payload, BULK_TOKEN_CLAIMS);
  if (defect) refuse(`/regtoken is not a bulk registration token: ${defect}`);
  return { header: decoded.jwt.header, claims: decoded.jwt.payload };
}

/**
 * The command line as logs show it: Windows quoting, the /regtoken value replaced, and
 * anything shaped like a token replaced too, whatever switch or property it was typed after.
 */
export function redactedCommandLine(args: readonly string[]): string {
  return stripProgramName(args)
    .map((arg) => {
      const m = /^(\/regtoken)(:|$)/i.exec(arg);
      return m ? `${m[1]}:${REDACTED}` : redactTokens(quoteWindowsArgument(arg));
    })
    .map(escapeControl)
    .join(' ');
}

function parameterRecord(parameters: Collected['parameters']): Record<string, string | true | string[]> {
  const record: Record<string, string | true | string[]> = {};
  for (const [name, { value }] of parameters) {
    if (name === 'regtoken') record[name] = REDACTED;
    else
      record[name] =
        typeof value === 'string' ? redactTokens(value) : Array.isArray(value) ? value.map(redactTokens) : value;
  }
  return record;
}

function chooseMode(
  parameters: Collected['parameters'],
  mps: ManagementPoint[],
  cmg: CloudGateway | null,
  hasRegToken: boolean,
  siteCode: string | null,
): SetupMode {
  if (parameters.has('uninstall')) return 'uninstall';
  if (hasRegToken) {
    if (!cmg) {
      fail(
        'CCMSETUP_E_REGTOKEN_WITHOUT_CMG',
        '/regtoken needs a CMG to register through: add /mp:https://<cmg>/CCM_Proxy_MutualAuth/<role ID> or CCMHOSTNAME=<cmg>/CCM_Proxy_MutualAuth/<role ID>',
      );
    }
    if (siteCode === null || siteCode === 'AUTO') {
      fail(
        'CCMSETUP_E_BAD_SITECODE',
        'a client that registers through a CMG needs its site code: add SMSSITECODE=<3-character site code>',
      );
    }
    return 'cmg-bulk-token';
  }
  if (parameters.has('UsePKICert')) return 'internet-pki';
  if (mps.some((mp) => mp.kind === 'intranet')) return 'intranet';
  if (cmg) return 'internet-existing-token';
  return fail(
    'CCMSETUP_E_NO_MP',
    'no management point given: add /mp:<MP name or URL> (ccmlab has no Active Directory to look one up)',
    'no management point given',
  );
}

/** Lines copied from the docs start with the program name; it is not an argument. */
function stripProgramName(argv: readonly string[]): string[] {
  return /^ccmsetup(\.exe)?$/i.test(argv[0] ?? '') ? argv.slice(1) : [...argv];
}

export interface ParseOptions {
  readFile?: (path: string) => Buffer;
}

/** Parses and checks a ccmsetup command line (without the emulator's --options). */
export function parseSetupCommand(argv: readonly string[], options: ParseOptions = {}): ParsedSetup {
  const args = stripProgramName(argv);
  const fromCommandLine = collect(args.map(classifyArgument), 'command line');
  const parameters = fromCommandLine.parameters;
  const properties = new Map<string, string>();
  const warnings: string[] = [];
  const config = parameters.get('config');
  if (config) {
    const configArgs = readConfigInstallLine(config.value as string, options.readFile).map(classifyArgument);
    if (configArgs.some((a) => a.kind === 'switch' && a.spec.name === 'config')) {
      fail(
        'CCMSETUP_E_BAD_CONFIG_FILE',
        `/config:${config.value as string} names another /config; a configuration file cannot include one`,
      );
    }
    const fromFile = collect(configArgs, `configuration file ${config.value as string}`);
    warnings.push(...fromFile.warnings);
    for (const [name, value] of fromFile.parameters) if (!parameters.has(name)) parameters.set(name, value);
    for (const [name, value] of fromFile.properties) properties.set(name, value);
  }
  warnings.push(...fromCommandLine.warnings);
  for (const [name, value] of fromCommandLine.properties) properties.set(name, value);
  return checkedSetup({ parameters, properties, warnings }, redactedCommandLine(args));
}

/**
 * The settings of the source article's command line (`/mp:https://<cmg> CCMHOSTNAME=<cmg>
 * SMSSiteCode=<code> /regtoken:<token>`), built from its three values with every check
 * parseSetupCommand makes of that line: for the fleet, whose clients all run with the same
 * settings, checked once for all of them.
 */
export function tokenEnrollmentSetup(cmg: string, siteCode: string, token: string): ParsedSetup {
  const given = (name: string, value: string): [string, { spec: SwitchSpec; value: string | true | string[] }] => {
    const spec = SWITCHES.get(name) as SwitchSpec;
    return [spec.name, { spec, value: switchValue({ kind: 'switch', spec, value, text: `/${spec.name}:${value}` }) }];
  };
  return checkedSetup(
    {
      parameters: new Map([given('mp', `https://${cmg}`), given('regtoken', token)]),
      properties: new Map([
        ['CCMHOSTNAME', cmg],
        ['SMSSITECODE', siteCode],
      ]),
      warnings: [],
    },
    // What ccmsetup.log records: the command line a ccmsetup with these settings is run with.
    redactedCommandLine(tokenEnrollmentCommandLine(cmg, siteCode, token)),
  );
}

/** The parameters and properties of a command line (and its /config file), checked together: the settings ccmsetup runs with. */
function checkedSetup(collected: Collected, commandLine: string): ParsedSetup {
  const { parameters, warnings } = collected;
  const props = Object.fromEntries(collected.properties);
  checkProperties(props, warnings);

  const mps: ManagementPoint[] = [];
  for (const entry of (parameters.get('mp')?.value as string[] | undefined) ?? [])
    mps.push(parseMpEntry(entry, '/mp:'));
  for (const entry of props.SMSMP ? [props.SMSMP] : []) mps.push(parseMpEntry(entry, 'SMSMP='));
  for (const entry of props.SMSMPLIST ? splitList(props.SMSMPLIST) : []) mps.push(parseMpEntry(entry, 'SMSMPLIST='));

  const ccmHostName = props.CCMHOSTNAME !== undefined ? props.CCMHOSTNAME.trim() : null;
  const hostNameGateway = ccmHostName !== null ? parseCcmHostName(ccmHostName) : null;
  const mpGateway = mps.find((mp) => mp.kind === 'cmg');
  const cmg: CloudGateway | null =
    hostNameGateway ??
    (mpGateway
      ? { host: mpGateway.host, port: mpGateway.port, roleId: mpGateway.roleId as string, url: mpGateway.url }
      : null);
  const siteCode = parseSiteCode(props.SMSSITECODE, ccmHostName);

  const regTokenText = parameters.get('regtoken')?.value as string | undefined;
  const regToken = regTokenText !== undefined ? decodeRegToken(regTokenText) : null;
  const mode = chooseMode(parameters, mps, cmg, regToken !== null, siteCode);

  return {
    command: {
      parameters: parameterRecord(parameters),
      properties: Object.fromEntries(Object.entries(props).map(([name, value]) => [name, redactTokens(value)])),
      mp: mps,
      ccmHostName,
      cmg,
      siteCode,
      regToken,
      mode,
      warnings,
      logSettings: clientLogSettings(props),
      resetKeyInformation:
        props.RESETKEYINFORMATION !== undefined && booleanProperty('RESETKEYINFORMATION', props.RESETKEYINFORMATION),
      commandLine,
    },
    regToken: regTokenText,
  };
}

/** True when the command line asks for usage (`/?`), which wins over everything else. */
export function asksForUsage(argv: readonly string[]): boolean {
  return argv.some((a) => a === '/?' || a === '-?' || /^\/help$/i.test(a));
}
