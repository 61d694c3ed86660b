import { SWITCHES } from '../client/setup-switches';

export function ccmsetupUsage(): string {
  const switches = [...SWITCHES.values()]
    .filter((s) => s.name !== '?')
    .map((s) => {
      const form =
        s.value === 'none' ? `/${s.name}` : s.choices ? `/${s.name}:${s.choices.join('|')}` : `/${s.name}:<value>`;
      return `  ${form.padEnd(38)} ${s.summary}`;
    });
  return [
    'Usage: ccmsetup [/parameter[:value] ...] [PROPERTY=value ...] [--emulator-options]',
    '',
    'Emulated ccmsetup.exe: parameters and client.msi properties as Microsoft documents them,',
    'in any order, names case-insensitive, values verbatim.',
    '',
    'Parameters:',
    '  /?                                     show this usage',
    ...switches,
    '',
    'Properties that matter here: CCMHOSTNAME (CMG form HOST/CCM_Proxy_MutualAuth/<id>, no scheme),',
    'SMSSITECODE (3 characters or AUTO), SMSMP, SMSMPLIST, CCMLOGLEVEL (0-3), CCMLOGMAXSIZE (bytes,',
    '>= 10000), CCMLOGMAXHISTORY, CCMENABLELOGGING, CCMDEBUGLOGGING, RESETKEYINFORMATION, CCMALWAYSINF,',
    'CCMFIRSTCERT, SMSPUBLICROOTKEY, PROVISIONTS. AAD properties are accepted and not emulated.',
    '',
    'Emulator options (ccmlab only):',
    '  --client-dir DIR       client state (default lab/clients/<NETBIOS>)',
    '  --log-dir DIR          client logs (default logs/clients/<NETBIOS>)',
    '  --connect-to H:P:A:P2  reach H:P at A:P2, TLS still checked for H (repeatable, curl syntax)',
    "  --ca-file PEM          root certificate to trust (the site's rootCaFile)",
    "  --netbios NAME         computer name (default: this host's)",
    '  --now ISO-8601         start the clock at this instant (also CCMLAB_NOW)',
    '  --lab DIR              the lab the client is a machine of (env CCMLAB_LAB; default lab)',
    '  --dry-run              check the command line and print what it means; install nothing',
    '  --json                 print one JSON document on stdout',
    '  -h, --help             show this usage (as /?)',
    '  -V, --version          print the version',
    '',
    'Return codes: 0 success, 6 error, 7 reboot required, 8 setup already running,',
    '9 prerequisite evaluation failure, 10 setup manifest hash validation failure.',
    '',
    'Examples:',
    "  # the source article's command line, through a lab CMG on loopback (port from 'ccmlab site start')",
    '  ccmsetup /mp:https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 CCMHOSTNAME=CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSiteCode=ABC /regtoken:<token> --connect-to CONTOSO.CLOUDAPP.NET:443:127.0.0.1:<port> --ca-file lab/site/pki/sms-issuing.pem --netbios CLIENT01',
    "  # Microsoft's token example, checked and explained without installing anything",
    '  ccmsetup CCMHOSTNAME=CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSITECODE=ABC /NoCRLCheck /RegToken:<token> --dry-run',
    '  # remove the client CLIENT01 (its logs stay)',
    '  ccmsetup /uninstall --netbios CLIENT01',
    '',
  ].join('\n');
}
