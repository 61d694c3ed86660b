import type { Argv } from 'yargs';

/**
 * Two or three real examples for every `ccmlab … --help` page, by command path. They use
 * the source article's names (site ABC, CMG CONTOSO.CLOUDAPP.NET, role ID 72186325152220500)
 * and ccmlab's default directories.
 */

type Example = readonly [command: string, description: string];

const GUID = '3f2a1c9e-6d4b-4e8a-9c1f-2b7d5e0a4c13';
const SMSID = 'GUID:5C1E1B7E-0D7F-4C2B-9B2A-3E4F5A6B7C8D';
const INIT_ARTICLE_SITE =
  'ccmlab site init --site-code ABC --cmg-name CONTOSO.CLOUDAPP.NET --role-id 72186325152220500';

const EXAMPLES = {
  ccmlab: [
    ['ccmlab demo', 'the end-to-end demo: a site and CMG on loopback, a bulk token, ccmsetup'],
    [INIT_ARTICLE_SITE, "create the source article's site in lab/site"],
    ['ccmlab log show logs/clients/CLIENT01/ClientLocation.log', 'read a client log'],
  ],
  log: [
    ['ccmlab log show logs/clients/CLIENT01/ccmsetup.log --type error', 'only the errors of a ccmsetup run'],
    ['ccmlab log show logs/site/CCM_STS.log --follow', 'watch the site issue tokens'],
    ['ccmlab log diagnose logs', 'name what failed, with evidence, cause and fix'],
  ],
  'log show': [
    ['ccmlab log show logs', "every client's and the site's logs merged in one time order"],
    ['ccmlab log show logs/clients/CLIENT01/ClientLocation.log', 'a client log with its history files'],
    ['ccmlab log show logs/site/CCM_STS.log --grep IDX --follow', 'token refusals as they happen'],
  ],
  'log diagnose': [
    ['ccmlab log diagnose logs', "every client's and the site's logs: each failure tied to the site's reason"],
    [
      'ccmlab log diagnose logs/clients/CLIENT01 --json',
      'one client alone: what it can see and the possible causes, as JSON',
    ],
    ['ccmlab log diagnose C:/Windows/CCM/Logs/ccmsetup.log excerpt.txt', "a real client's log and a pasted excerpt"],
  ],
  scenario: [
    ['ccmlab scenario list', 'the documented failures ccmlab reproduces'],
    [
      'ccmlab scenario run bulk-token-expired',
      'reproduce one in lab/scenarios/bulk-token-expired/, with its ANSWER.md',
    ],
  ],
  'scenario list': [
    ['ccmlab scenario list', 'name, outcome and title of each scenario'],
    ['ccmlab scenario list --json', '[{"name", "title"}, …]'],
  ],
  'scenario run': [
    [
      'ccmlab scenario run bulk-token-expired untrusted-cmg-root',
      'two scenarios, each in its own lab under lab/scenarios/',
    ],
    ['ccmlab scenario run --all --out /tmp/training', 'every scenario, for a training session'],
    ['ccmlab scenario run crl-unreachable --json', 'the checks as JSON'],
  ],
  site: [
    [INIT_ARTICLE_SITE, "create the source article's site"],
    ['ccmlab site start --ready-file lab/ready.json', 'run its MP and CMG'],
    ['ccmlab site tokens list', 'the bulk registration tokens it issued'],
  ],
  'site init': [
    [INIT_ARTICLE_SITE, "the source article's site in lab/site"],
    ['ccmlab site init --site-dir lab/passive --passive', 'a passive site (the token tool refuses there)'],
    ['ccmlab site init --site-code ABC --force', 'replace the site in lab/site'],
  ],
  'site show': [
    ['ccmlab site show', 'site code, names, role ID and certificates'],
    ['ccmlab site show --json', 'the same as JSON; rootCaFile is the root clients trust'],
  ],
  'site tokens': [
    ['ccmlab site tokens list --all', 'tokens and site certificates, as the Certificates node shows them'],
    [`ccmlab site tokens block ${GUID}`, 'refuse a token from now on'],
  ],
  'site tokens list': [
    ['ccmlab site tokens list', 'the bulk registration tokens, with a header row'],
    ['ccmlab site tokens list --all --json', 'with the site certificates, as JSON'],
  ],
  'site tokens block': [
    [`ccmlab site tokens block ${GUID}`, 'the site refuses this token from now on'],
    [`ccmlab site tokens block ${GUID} --site-dir lab/demo/site --json`, "block a token of the demo's site"],
  ],
  'site tokens unblock': [
    [`ccmlab site tokens unblock ${GUID}`, 'the site accepts this token again (while it is valid)'],
    [`ccmlab site tokens unblock ${GUID} --json`, 'the same, printing the token record'],
  ],
  'site certs': [
    ['ccmlab site certs renew token-signing', 'a new SMS Token Signing Certificate'],
    ['ccmlab site certs revoke cmg', "put the CMG's certificate on the CRL the MP publishes"],
  ],
  'site certs renew': [
    ['ccmlab site certs renew token-signing', 'every token the old certificate signed stops working'],
    ['ccmlab site certs renew cmg', 'replace a revoked CMG certificate; the running site serves the new one'],
    ['ccmlab site certs renew token-signing --site-dir lab/demo/site --json', "renew the demo site's certificate"],
  ],
  'site certs revoke': [
    ['ccmlab site certs revoke cmg', 'clients that check revocation refuse the CMG (CERT_REVOKED)'],
    ['ccmlab site certs revoke role-ssl --json', "the MP's HTTPS certificate, as JSON"],
  ],
  'site start': [
    ['ccmlab site start', 'on the ports recorded at init; Ctrl+C or site stop stops it'],
    ['ccmlab site start --detach', 'in the background, for scripts'],
    ['ccmlab site start --cmg-port 0 --json', 'any free CMG port (not recorded); the URLs as JSON'],
  ],
  'site stop': [
    ['ccmlab site stop', "stop the lab's running site and wait for it"],
    ['ccmlab site stop --lab /tmp/lab2 --json', "another lab's site"],
  ],
  'site config': [
    ['ccmlab site config get', 'every setting'],
    ['ccmlab site config set registration.approval manual', 'hold intranet registrations for approval'],
  ],
  'site config get': [
    ['ccmlab site config get', 'every setting'],
    ['ccmlab site config get registration.approval --json', 'one setting as JSON'],
  ],
  'site config set': [
    ['ccmlab site config set registration.approval manual', 'hold intranet registrations for approval'],
    ['ccmlab site config set tokens.intranet false', 'the intranet MP issues no unique tokens'],
    [
      'ccmlab site config set mp.enhancedHttp false',
      'an HTTPS-only MP: the CMG connection point needs a client certificate',
    ],
  ],
  'site clock': [
    ['ccmlab site clock set +31d', "the lab clock (same as 'ccmlab clock'), 31 days ahead"],
    ['ccmlab site clock show', 'the lab time and its offset'],
  ],
  'site clock show': [
    ['ccmlab site clock show', 'the lab time and its offset from real time'],
    ['ccmlab site clock show --json', 'the same as JSON'],
  ],
  'site clock set': [
    ['ccmlab site clock set +31d', "31 days ahead of the lab's time now"],
    ['ccmlab site clock set reset', 'back to real time'],
  ],
  clock: [
    ['ccmlab clock set +31d', 'every process in the lab stands on day 31'],
    ['ccmlab clock show', 'the lab time and its offset from real time'],
  ],
  'clock show': [
    ['ccmlab clock show', 'the lab time and its offset from real time'],
    ['ccmlab clock show --lab /tmp/lab2 --json', "another lab's time, as JSON"],
  ],
  'clock set': [
    ['ccmlab clock set +31d', "31 days ahead of the lab's time now: the agent renews client tokens"],
    ['ccmlab clock set -1d', 'one day back'],
    ['ccmlab clock set reset', 'back to real time'],
  ],
  lab: [
    ['ccmlab lab trust list', 'the roots every client in the lab trusts'],
    ['ccmlab lab trust remove site-ABC', 'make the CMG untrusted (INVALID_CA)'],
  ],
  'lab trust': [
    ['ccmlab lab trust list', 'the roots every client in the lab trusts'],
    ['ccmlab lab trust remove site-ABC', "clients no longer trust the site's root"],
  ],
  'lab trust list': [
    ['ccmlab lab trust list', 'name, thumbprint and subject of each root'],
    ['ccmlab lab trust list --json', 'the same as JSON'],
  ],
  'lab trust add': [
    ['ccmlab lab trust add lab/site/pki/sms-issuing.pem --name site-ABC', "trust the site's root again"],
    ['ccmlab lab trust add /tmp/other-root.pem', 'trust another root, named after its file'],
  ],
  'lab firewall': [
    [
      'ccmlab lab firewall block mp01.lab.test:80',
      "the CRL at the MP's HTTP port is out of the clients' reach (CERT_REV_FAILED)",
    ],
    ['ccmlab lab firewall list', 'the endpoints clients cannot reach'],
  ],
  'lab firewall list': [
    ['ccmlab lab firewall list', 'the blocked endpoints'],
    ['ccmlab lab firewall list --json', 'the same as JSON'],
  ],
  'lab firewall block': [
    ['ccmlab lab firewall block mp01.lab.test:80', "clients cannot reach the MP's HTTP port (and the CRL there)"],
    ['ccmlab lab firewall block CONTOSO.CLOUDAPP.NET:*', 'clients cannot reach the CMG at all'],
  ],
  'lab firewall unblock': [
    ['ccmlab lab firewall unblock mp01.lab.test:80', 'open it again'],
    ['ccmlab lab firewall unblock CONTOSO.CLOUDAPP.NET:* --lab /tmp/lab2', 'in another lab'],
  ],
  'lab trust remove': [
    ['ccmlab lab trust remove site-ABC', "clients no longer trust the site's root"],
    ['ccmlab lab trust remove site-ABC --lab /tmp/lab2', 'in another lab'],
  ],
  'site clients': [
    ['ccmlab site clients list', 'the clients the MP recorded, with a header row'],
    [`ccmlab site clients approve ${SMSID}`, 'approve a client held by manual approval'],
  ],
  'site clients list': [
    ['ccmlab site clients list', 'SMSID, name, state, approval, how it registered'],
    ['ccmlab site clients list --json', 'every field as JSON'],
  ],
  'site clients approve': [
    [`ccmlab site clients approve ${SMSID}`, 'it registers at its next confirmation'],
    [`ccmlab site clients approve ${SMSID} --json`, 'the same, printing the client'],
  ],
  client: [
    ['ccmlab client status --netbios CLIENT01', 'SMSID, MPs, token expiry and state'],
    [
      'ccmlab client start --netbios CLIENT01',
      "CcmExec starting: renews the token from day 30 by the lab's clock (ccmlab clock set +31d)",
    ],
    ['ccmlab client roam --intranet --netbios CLIENT01', 'bring the client to the intranet'],
  ],
  'client start': [
    [
      'ccmlab client start --netbios CLIENT01',
      "renew the token once it is 30 days old by the lab's clock (ccmlab clock set +31d)",
    ],
    [
      'ccmlab client start --client-dir lab/clients/CLIENT01 --now 2027-01-01T00:00:00Z --json',
      "the client's clock alone moved on: the site refuses it as skewed (CCM_STS.log)",
    ],
  ],
  'client run': [
    ['ccmlab client run --netbios CLIENT01', 'renew on schedule until Ctrl+C'],
    [
      'ccmlab client run --client-dir lab/clients/CLIENT01 --log-dir logs/clients/CLIENT01',
      'with explicit directories',
    ],
  ],
  'client status': [
    ['ccmlab client status --netbios CLIENT01', 'SMSID, site, MPs, token expiry and state'],
    ['ccmlab client status --client-dir lab/demo/clients/CLIENT01 --json', "the demo's client as JSON (tokenState)"],
    ['ccmlab client status --netbios CLIENT01 --now 2027-01-01T00:00:00Z', 'how the token stands on another day'],
  ],
  'client roam': [
    ['ccmlab client roam --internet --netbios CLIENT01', 'through the CMG, with its token'],
    ['ccmlab client roam --intranet --netbios CLIENT01', 'back to the intranet MP'],
  ],
  demo: [
    ['ccmlab demo', 'in lab/demo'],
    ['ccmlab demo --lab /tmp/ccmlab-demo --json', 'elsewhere, the summary as JSON'],
  ],
  fleet: [
    ['ccmlab fleet keys --count 1000 --key-cache lab/keys', "make 1000 clients' keys on every core"],
    [
      'ccmlab fleet enroll --count 1000 --concurrency 32 --key-cache lab/keys',
      "enroll them into the lab's running site (lab/fleet); rerun to continue",
    ],
    ['ccmlab fleet status', 'the fleet by registration state and token expiry'],
  ],
  'fleet enroll': [
    [
      'ccmlab fleet enroll --count 1000 --concurrency 32 --key-cache lab/keys',
      "into the lab's running site, a bulk token issued for the run; rerun after a crash to continue",
    ],
    [
      'ccmlab fleet enroll --count 50 --regtoken-file token.txt --site-code ABC --cmg "$CMG"',
      'into any running site with its bulk token; CMG=NAME/CCM_Proxy_MutualAuth/<role ID>',
    ],
    [
      'ccmlab fleet enroll --count 20 --name-pattern LAB-{n:05} --logs failures --json',
      "without a running site: an embedded lab of the fleet's own; keep only failed clients' logs",
    ],
  ],
  'fleet keys': [
    ['ccmlab fleet keys --count 1000 --key-cache lab/keys', 'two RSA-2048 key pairs for each of 1000 clients'],
    [
      'ccmlab fleet keys --count 500 --key-cache lab/keys --one-key --json',
      'one key pair each (both certificates), as public tools do',
    ],
  ],
  'fleet start': [
    ['ccmlab fleet start', "CcmExec starting on every client of lab/fleet: renewals by the lab's clock"],
    ['ccmlab fleet start --now 2027-01-01T00:00:00Z --concurrency 16 --json', 'on another day, as JSON'],
  ],
  'fleet status': [
    ['ccmlab fleet status', 'clients by registration state and token expiry'],
    [
      'ccmlab fleet status --fleet-dir /tmp/fleet --now 2027-01-01T00:00:00Z --json',
      'how the tokens stand on another day, as JSON',
    ],
  ],
  bench: [
    ['ccmlab bench', 'each measurement against its limit'],
    ['ccmlab bench --json', 'the same as JSON'],
    [
      'ccmlab bench --scale 100,1000,10000',
      'fleets of each size with cached keys: throughput, peak RSS, CPU per client',
    ],
  ],
} as const satisfies Record<string, readonly Example[]>;

export type CommandPath = keyof typeof EXAMPLES;

/**
 * Adds the examples of the help page of `command` (its path without options), each as a
 * `# description` line over the whole command, so that no command line is wrapped in two.
 */
export function withExamples<T>(y: Argv<T>, command: CommandPath): Argv<T> {
  return y.example(EXAMPLES[command].map(([c, d]) => [`# ${d}\n${c}`, '']));
}
