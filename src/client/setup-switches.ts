/**
 * ccmsetup.exe's own parameters (`/name[:value]`) and the client.msi properties it
 * passes on (`NAME=value`), as Microsoft documents them.
 */

export type SwitchValue = 'none' | 'text' | 'integer' | 'list' | 'repeat';

export interface SwitchSpec {
  /** The documented spelling. */
  name: string;
  value: SwitchValue;
  /** Allowed values, compared case-insensitively and stored in this spelling. */
  choices?: readonly string[];
  summary: string;
}

const SPECS: readonly SwitchSpec[] = [
  { name: '?', value: 'none', summary: 'show this usage' },
  { name: 'AllowMetered', value: 'none', summary: 'allow ccmsetup to use a metered network' },
  {
    name: 'AlwaysExcludeUpgrade',
    value: 'text',
    choices: ['TRUE', 'FALSE'],
    summary: 'exclude this client from automatic upgrade',
  },
  {
    name: 'BITSPriority',
    value: 'text',
    choices: ['FOREGROUND', 'HIGH', 'NORMAL', 'LOW'],
    summary: 'download priority',
  },
  { name: 'config', value: 'text', summary: 'read properties from a configuration file (mobileclient.tcf shape)' },
  { name: 'downloadtimeout', value: 'integer', summary: 'minutes to keep retrying a download' },
  { name: 'ExcludeFeatures', value: 'text', choices: ['ClientUI'], summary: 'leave a feature out' },
  { name: 'forceinstall', value: 'none', summary: 'uninstall any existing client, then install afresh' },
  { name: 'forcereboot', value: 'none', summary: 'restart the computer if needed' },
  { name: 'IgnoreSkipUpgrade', value: 'none', summary: 'upgrade even if excluded from automatic upgrade' },
  { name: 'logon', value: 'none', summary: 'stop if any client version is already installed' },
  { name: 'mp', value: 'list', summary: 'management point(s) to download from and register with, ;-separated' },
  { name: 'NoCRLCheck', value: 'none', summary: 'do not check the CRL of the MP certificate' },
  { name: 'noservice', value: 'none', summary: 'do not run ccmsetup as a service' },
  { name: 'regtoken', value: 'text', summary: 'bulk registration token (BulkRegistrationTokenTool /new)' },
  { name: 'retry', value: 'integer', summary: 'minutes between download retries' },
  { name: 'service', value: 'none', summary: 'run ccmsetup as a service' },
  { name: 'skipprereq', value: 'list', summary: 'prerequisites not to install, ;-separated' },
  { name: 'source', value: 'repeat', summary: 'download location (repeatable)' },
  { name: 'uninstall', value: 'none', summary: 'remove the client' },
  { name: 'UpgradeToLatest', value: 'none', summary: 'upgrade to the latest version, pre-production included' },
  { name: 'UsePKICert', value: 'none', summary: 'use a PKI client authentication certificate' },
];

export const SWITCHES: ReadonlyMap<string, SwitchSpec> = new Map(SPECS.map((s) => [s.name.toLowerCase(), s]));

/** Documented client.msi properties; others are passed on with a warning. */
export const KNOWN_PROPERTIES: ReadonlySet<string> = new Set([
  'AADCLIENTAPPID',
  'AADRESOURCEURI',
  'AADTENANTID',
  'CCMADMINS',
  'CCMALLOWSILENTREBOOT',
  'CCMALWAYSINF',
  'CCMCERTISSUERS',
  'CCMCERTSEL',
  'CCMCERTSTORE',
  'CCMDEBUGLOGGING',
  'CCMENABLELOGGING',
  'CCMEVALHOUR',
  'CCMEVALINTERVAL',
  'CCMFIRSTCERT',
  'CCMHOSTNAME',
  'CCMHTTPPORT',
  'CCMHTTPSPORT',
  'CCMINSTALLDIR',
  'CCMLOGLEVEL',
  'CCMLOGMAXHISTORY',
  'CCMLOGMAXSIZE',
  'DISABLECACHEOPT',
  'DISABLESITEOPT',
  'DNSSUFFIX',
  'FSP',
  'IGNOREAPPVVERSIONCHECK',
  'INSTALL',
  'NOTIFYONLY',
  'PROVISIONTS',
  'RESETKEYINFORMATION',
  'SITEREASSIGN',
  'SMSCACHEDIR',
  'SMSCACHEFLAGS',
  'SMSCACHESIZE',
  'SMSCONFIGSOURCE',
  'SMSDIRECTORYLOOKUP',
  'SMSMP',
  'SMSMPLIST',
  'SMSPUBLICROOTKEY',
  'SMSROOTKEYPATH',
  'SMSSIGNCERT',
  'SMSSITECODE',
]);

/** Accepted but not emulated: ccmlab has no Entra ID (Azure AD). */
export const AAD_PROPERTIES: ReadonlySet<string> = new Set(['AADCLIENTAPPID', 'AADRESOURCEURI', 'AADTENANTID']);
