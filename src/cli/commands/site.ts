import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { processClock } from '../../core/clock';
import { requireGuid } from '../../core/guid';
import { issueCertificate } from '../../pki/certificates';
import { listBulkTokens, setBulkTokenBlocked, type BulkTokenRecord } from '../../site/bulk-tokens';
import { DEFAULT_ROLE_ID, initSite, openSite, SITE_CERTIFICATES, tokenSigningRequest, writeCertificate, type Site } from '../../site/site-dir';
import { openSiteLog } from '../../site/site-logs';
import type { CommandContext } from '../context';
import { siteRunCommands } from './site-run';
import { withExamples } from '../help-examples';
import { formatTable, printResult } from '../output';
import { withSite, withSiteOptions, type SiteArgs } from '../site-options';

function siteSummary(site: Site) {
  const certificates = SITE_CERTIFICATES.map(({ name }) => site.certificate(name));
  return {
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
    `CMG:             ${s.cmgName} (internet MP ${s.cmgName}/CCM_Proxy_MutualAuth/${s.roleId})`,
    `Passive:         ${s.passive ? 'yes (bulk registration tokens cannot be created here)' : 'no'}`,
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
        .option('force', { type: 'boolean', default: false, describe: 'replace an existing site' }) as unknown as Argv<InitArgs>,
    handler: (args) =>
      context.run(async () => {
        const clock = processClock(args.now);
        await initSite({
          dir: args['site-dir'],
          siteCode: args['site-code'],
          mpName: args['mp-name'],
          cmgName: args['cmg-name'],
          roleId: String(args['role-id']),
          passive: args.passive,
          force: args.force,
          clock,
        });
        withSite(args, (site) => {
          const summary = siteSummary(site);
          process.stderr.write(`ccmlab: site ${summary.siteCode} created in ${summary.siteDir}\n`);
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
          const summary = siteSummary(site);
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
        const now = processClock(args.now).now();
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
        const clock = processClock(args.now);
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

interface RenewArgs extends SiteArgs {
  certificate: string;
}

function renewCommand(context: CommandContext): CommandModule<object, RenewArgs> {
  return {
    command: 'renew <certificate>',
    describe: 'replace a site certificate (token-signing): every token it signed stops working',
    builder: (y: Argv) => withExamples(withSiteOptions(y), 'site certs renew').positional('certificate', { choices: ['token-signing'] as const, demandOption: true }) as unknown as Argv<RenewArgs>,
    handler: (args) =>
      context.run(async () => {
        const clock = processClock(args.now);
        const site = openSite(args['site-dir']);
        try {
          const before = site.certificate('token-signing').thumbprint;
          const root = { certificatePem: site.certificatePem('sms-issuing'), privateKeyPem: site.privateKey('sms-issuing').export({ type: 'pkcs8', format: 'pem' }).toString() };
          writeCertificate(site.dir, 'token-signing', await issueCertificate(tokenSigningRequest(clock, root)));
          const after = site.certificate('token-signing').thumbprint;
          openSiteLog(args['log-dir'], 'SMSProv', clock, 'SmsProviderSetup.cpp').info(`SMS Token Signing Certificate renewed: ${before} replaced by ${after}. Tokens signed by the old certificate are no longer accepted.`);
          printResult(args.json, { certificate: 'token-signing', previousThumbprint: before, thumbprint: after }, () =>
            `SMS Token Signing Certificate renewed: ${after} (was ${before}).\nEvery token signed by the old certificate stops working; clients need a new one.\n`,
          );
        } finally {
          site.close();
        }
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
        .command('certs', 'site certificates', (c) => withExamples(c, 'site certs').command(renewCommand(context)).demandCommand(1, 'name a certs command: renew'))
        .command(siteRunCommands(context))
        .demandCommand(1, 'name a site command: init, show, start, tokens, clients, config, clock, certs'),
    handler: () => undefined,
  };
}
