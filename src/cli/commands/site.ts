import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { CcmlabError } from '../../core/errors';
import { requireGuid } from '../../core/guid';
import { cmgHostName } from '../../protocol/cmg-address';
import { listBulkTokens, setBulkTokenBlocked, type BulkTokenRecord } from '../../site/bulk-tokens';
import { revokeSiteCertificate } from '../../site/revocation';
import { DEFAULT_ROLE_ID, initSite, renewSiteCertificate, SITE_CERTIFICATES, type RenewableCertificate, type Site } from '../../site/site-dir';
import { openSiteLog } from '../../site/site-logs';
import type { CommandContext } from '../context';
import { siteRunCommands } from './site-run';
import { withExamples } from '../help-examples';
import { formatTable, printResult } from '../output';
import { clockOf, siteLabOf, withSite, withSiteAsync, withSiteOptions, type SiteArgs } from '../site-options';
import { trustRoot } from '../../world/lab-roots';
import { labTimeSummary } from './lab-world';

function siteSummary(site: Site, args: SiteArgs) {
  const certificates = SITE_CERTIFICATES.map(({ name }) => site.certificate(name));
  const time = labTimeSummary(args);
  return {
    labTime: time.labTime,
    clockOffset: time.offset,
    ports: site.config.ports,
    siteCode: site.config.siteCode,
    hierarchyId: site.config.hierarchyId,
    mpName: site.config.mpName,
    cmgName: site.config.cmgName,
    roleId: site.config.roleId,
    passive: site.config.passive,
    createdAt: site.config.createdAt,
    siteDir: site.dir,
    database: path.join(site.dir, 'site.db'),
    rootCaFile: site.certificate('sms-issuing').file,
    certificates: certificates.map((c) => ({
      name: c.name,
      title: c.title,
      subject: c.subject,
      thumbprint: c.thumbprint,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      file: c.file,
    })),
  };
}

function humanSummary(s: ReturnType<typeof siteSummary>): string {
  const lines = [
    `Site code:       ${s.siteCode}`,
    `Hierarchy ID:    ${s.hierarchyId.toUpperCase()}`,
    `MP:              ${s.mpName} (role ID ${s.roleId})`,
    `CMG:             ${s.cmgName} (internet MP ${cmgHostName(s.cmgName, s.roleId)})`,
    `Passive:         ${s.passive ? 'yes (bulk registration tokens cannot be created here)' : 'no'}`,
    `Ports:           MP ${s.ports.mp}, MP (HTTPS) ${s.ports.mpHttps}, CMG ${s.ports.cmg} (recorded at init; 'site start' reuses them)`,
    `Lab time:        ${s.labTime} (offset ${s.clockOffset})`,
    `Site directory:  ${s.siteDir}`,
    `Root CA file:    ${s.rootCaFile}`,
    'Certificates:',
    ...s.certificates.map((c) => `  ${c.title.padEnd(46)} ${c.thumbprint}  valid ${c.notBefore} to ${c.notAfter}`),
  ];
  return `${lines.join('\n')}\n`;
}

interface InitArgs extends SiteArgs {
  'site-code': string;
  'mp-name': string;
  'cmg-name': string;
  'role-id': string;
  passive: boolean;
  force: boolean;
  'crl-distribution-point': boolean;
  'mp-port'?: string;
  'mp-https-port'?: string;
  'cmg-port'?: string;
}

function initPort(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--${option} '${value}' is not a port from 1 to 65535 (leave it out for a free one)`);
  }
  return Number(value);
}

function initCommand(context: CommandContext): CommandModule<object, InitArgs> {
  return {
    command: 'init',
    describe: 'create a site: hierarchy ID, site PKI, site database',
    builder: (y: Argv) =>
      withExamples(withSiteOptions(y), 'site init')
        .option('site-code', { type: 'string', default: 'LAB', requiresArg: true, describe: '3-character site code' })
        .option('mp-name', { type: 'string', default: 'mp01.lab.test', requiresArg: true, describe: 'management point FQDN' })
        .option('cmg-name', { type: 'string', default: 'cmg.lab.test', requiresArg: true, describe: 'CMG service name' })
        .option('role-id', { type: 'string', default: DEFAULT_ROLE_ID, requiresArg: true, describe: 'MP role ID (decimal, may exceed 2^53)' })
        .option('passive', { type: 'boolean', default: false, describe: 'the site server is in passive mode' })
        .option('crl-distribution-point', { type: 'boolean', default: false, describe: "publish the root's CRL at the MP (http://<mp>/CRL/sms-issuing.crl) and name it in the MP's and the CMG's certificates" })
        .option('force', { type: 'boolean', default: false, describe: 'replace an existing site' })
        .option('mp-port', { type: 'string', requiresArg: true, describe: 'MP HTTP port to record (default: a free one)' })
        .option('mp-https-port', { type: 'string', requiresArg: true, describe: 'MP HTTPS port to record' })
        .option('cmg-port', { type: 'string', requiresArg: true, describe: 'CMG port to record' }) as unknown as Argv<InitArgs>,
    handler: (args) =>
      context.run(async () => {
        const clock = clockOf(args);
        await initSite({
          dir: args['site-dir'],
          siteCode: args['site-code'],
          mpName: args['mp-name'],
          cmgName: args['cmg-name'],
          roleId: String(args['role-id']),
          passive: args.passive,
          force: args.force,
          crlDistributionPoint: args['crl-distribution-point'],
          clock,
          ports: { mp: initPort(args['mp-port'], 'mp-port'), mpHttps: initPort(args['mp-https-port'], 'mp-https-port'), cmg: initPort(args['cmg-port'], 'cmg-port') },
        });
        withSite(args, (site) => {
          // As a GPO would deploy it: every client in the lab trusts the site's root. A site outside a lab touches no lab.
          const lab = siteLabOf(args);
          const root = lab ? trustRoot(lab, `site-${site.config.siteCode}`, site.certificatePem('sms-issuing')) : undefined;
          const summary = { ...siteSummary(site, args), trustedAs: root?.name ?? null };
          process.stderr.write(
            `ccmlab: site ${summary.siteCode} created in ${summary.siteDir}; ${root ? `the lab trusts its root as '${root.name}'` : `no lab trusts its root (--site-dir outside a lab): give clients --ca-file ${summary.rootCaFile}`}\n`,
          );
          printResult(args.json, summary, () => humanSummary(summary));
        });
        return 0;
      }),
  };
}

function showCommand(context: CommandContext): CommandModule<object, SiteArgs> {
  return {
    command: 'show',
    describe: 'print the site: code, hierarchy, names, role ID, certificates, rootCaFile',
    builder: (y: Argv) => withExamples(withSiteOptions(y), 'site show'),
    handler: (args) =>
      context.run(async () => {
        withSite(args, (site) => {
          const summary = siteSummary(site, args);
          printResult(args.json, summary, () => humanSummary(summary));
        });
        return 0;
      }),
  };
}

const TOKEN_COLUMNS = [
  ['guid', 'GUID'],
  ['type', 'Type'],
  ['validFrom', 'Valid from'],
  ['validTo', 'Valid to'],
  ['status', 'Status'],
  ['blockedAt', 'Blocked at'],
] as const;

interface ListArgs extends SiteArgs {
  all: boolean;
}

function listCommand(context: CommandContext): CommandModule<object, ListArgs> {
  return {
    command: 'list',
    describe: "list bulk registration tokens, as the console's Certificates node does",
    builder: (y: Argv) => withExamples(withSiteOptions(y), 'site tokens list').option('all', { type: 'boolean', default: false, describe: 'add the site certificates' }) as unknown as Argv<ListArgs>,
    handler: (args) =>
      context.run(async () => {
        const now = clockOf(args).now();
        withSite(args, (site) => {
          const rows: Array<Record<string, string | null>> = listBulkTokens(site, now).map((t: BulkTokenRecord) => ({
            guid: t.guid,
            type: t.type,
            validFrom: t.validFrom,
            validTo: t.validTo,
            status: t.status,
            blockedAt: t.blockedAt,
          }));
          if (args.all) {
            for (const { name } of SITE_CERTIFICATES) {
              const c = site.certificate(name);
              rows.push({
                guid: null,
                type: c.title,
                validFrom: c.notBefore.toISOString(),
                validTo: c.notAfter.toISOString(),
                status: c.notAfter.getTime() < now.getTime() ? 'Expired' : 'Active',
                blockedAt: null,
                thumbprint: c.thumbprint,
              });
            }
          }
          printResult(args.json, rows, () => (rows.length === 0 ? 'No bulk registration tokens.\n' : formatTable(TOKEN_COLUMNS, rows)));
        });
        return 0;
      }),
  };
}

interface BlockArgs extends SiteArgs {
  guid: string;
}

function blockCommand(context: CommandContext, blocked: boolean): CommandModule<object, BlockArgs> {
  const verb = blocked ? 'block' : 'unblock';
  return {
    command: `${verb} <guid>`,
    describe: blocked ? 'block a bulk registration token: the site refuses it from now on' : 'unblock a blocked bulk registration token',
    builder: (y: Argv) => withExamples(withSiteOptions(y), blocked ? 'site tokens block' : 'site tokens unblock').positional('guid', { type: 'string', demandOption: true }) as unknown as Argv<BlockArgs>,
    handler: (args) =>
      context.run(async () => {
        const guid = requireGuid(String(args.guid), 'token GUID');
        const clock = clockOf(args);
        withSite(args, (site) => {
          const change = setBulkTokenBlocked(site, guid, blocked, clock.now());
          const log = openSiteLog(args['log-dir'], 'SMSProv', clock, 'SmsProviderSetup.cpp');
          const state = blocked ? 'blocked' : 'unblocked';
          const message = change.changed ? `Bulk registration token ${guid} is now ${state}.` : `Bulk registration token ${guid} was already ${state}; nothing changed.`;
          log.info(message);
          printResult(args.json, { ...change.record, changed: change.changed }, () => `${message}\n`);
        });
        return 0;
      }),
  };
}

interface CertArgs extends SiteArgs {
  certificate: RenewableCertificate;
}

const TITLES: Record<RenewableCertificate, string> = { 'token-signing': 'SMS Token Signing Certificate', 'role-ssl': 'SMS Role SSL Certificate', cmg: 'CMG server certificate' };

function renewCommand(context: CommandContext): CommandModule<object, CertArgs> {
  return {
    command: 'renew <certificate>',
    describe: 'replace a site certificate and its key (token-signing: every token it signed stops working)',
    builder: (y: Argv) =>
      withExamples(withSiteOptions(y), 'site certs renew')
        .positional('certificate', { choices: ['token-signing', 'role-ssl', 'cmg'] as const, demandOption: true }) as unknown as Argv<CertArgs>,
    handler: (args) =>
      context.run(async () => {
        const clock = clockOf(args);
        const name = args.certificate;
        const { previous, current } = await withSiteAsync(args, (site) => renewSiteCertificate(site, name, clock));
        const consequence = name === 'token-signing' ? 'Tokens signed by the old certificate are no longer accepted.' : 'The running site serves the new certificate to new connections.';
        openSiteLog(args['log-dir'], 'SMSProv', clock, 'SmsProviderSetup.cpp').info(`${TITLES[name]} renewed: ${previous} replaced by ${current}. ${consequence}`);
        printResult(args.json, { certificate: name, previousThumbprint: previous, thumbprint: current }, () =>
          `${TITLES[name]} renewed: ${current} (was ${previous}).\n${name === 'token-signing' ? 'Every token signed by the old certificate stops working; clients need a new one.' : consequence}\n`,
        );
        return 0;
      }),
  };
}

function revokeCommand(context: CommandContext): CommandModule<object, CertArgs> {
  return {
    command: 'revoke <certificate>',
    describe: "put a site certificate on the root's CRL (the site keeps serving it until 'site certs renew')",
    builder: (y: Argv) =>
      withExamples(withSiteOptions(y), 'site certs revoke')
        .positional('certificate', { choices: ['cmg', 'role-ssl'] as const, demandOption: true }) as unknown as Argv<CertArgs>,
    handler: (args) =>
      context.run(async () => {
        const clock = clockOf(args);
        const name = args.certificate;
        const revoked = withSite(args, (site) => revokeSiteCertificate(site, name, clock.now()));
        const message = revoked.changed ? `${TITLES[name]} ${revoked.serial} is revoked: it is on the CRL the MP publishes.` : `${TITLES[name]} ${revoked.serial} was already revoked; nothing changed.`;
        openSiteLog(args['log-dir'], 'SMSProv', clock, 'SmsProviderSetup.cpp').info(message);
        printResult(args.json, { certificate: name, ...revoked }, `${message}${revoked.crlDistributionPoint ? '' : '\nThis site publishes no CRL (site init --crl-distribution-point), so no client will notice.'}\n`);
        return 0;
      }),
  };
}

export function siteCommand(context: CommandContext): CommandModule {
  return {
    command: 'site',
    describe: 'the site: hierarchy, PKI, database, tokens',
    builder: (y: Argv) =>
      withExamples(y, 'site')
        .command(initCommand(context))
        .command(showCommand(context))
        .command('tokens', 'bulk registration tokens (the console Certificates node)', (t) =>
          withExamples(t, 'site tokens')
            .command(listCommand(context)).command(blockCommand(context, true)).command(blockCommand(context, false)).demandCommand(1, 'name a tokens command: list, block, unblock'),
        )
        .command('certs', 'site certificates', (c) => withExamples(c, 'site certs').command(renewCommand(context)).command(revokeCommand(context)).demandCommand(1, 'name a certs command: renew, revoke'))
        .command(siteRunCommands(context))
        .demandCommand(1, 'name a site command: init, show, start, tokens, clients, config, clock, certs'),
    handler: () => undefined,
  };
}
