import * as path from 'node:path';
import { TOP_COMMANDS } from '../command-index';
import { CcmlabError } from '../../core/errors';
import { requireGuid } from '../../core/guid';
import { cmgHostName } from '../../protocol/cmg-address';
import {
  changeTokenBlock,
  renewCertificate,
  revokeCertificate,
  tokenRows,
  withSite,
  type SiteAdmin,
} from '../../site/administration';
import { DEFAULT_ROLE_ID, initSite, SITE_CERTIFICATES, type Site } from '../../site/site-dir';
import { CONTENT_SIZES } from '../../site/client-items';
import { commandGroup, leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { SITE_OPTIONS } from '../options';
import { siteRunCommands } from './site-run';
import { formatTable, printResult } from '../output';
import { clockOf, onSite, siteLabOf, type SiteArgs } from '../site-options';
import { trustRoot } from '../../world/lab-roots';
import { labTimeSummary } from './lab-world';

function adminOf(args: SiteArgs): SiteAdmin {
  return { siteDir: args['site-dir'], logDir: args['log-dir'], clock: clockOf(args) };
}

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

function initPort(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--${option} '${value}' is not a port from 1 to 65535 (leave it out for a free one)`,
    );
  }
  return Number(value);
}

const INIT_OPTIONS = {
  ...SITE_OPTIONS,
  'site-code': { type: 'string', default: 'LAB', requiresArg: true, describe: '3-character site code' },
  'mp-name': { type: 'string', default: 'mp01.lab.test', requiresArg: true, describe: 'management point FQDN' },
  'cmg-name': { type: 'string', default: 'cmg.lab.test', requiresArg: true, describe: 'CMG service name' },
  'role-id': {
    type: 'string',
    default: DEFAULT_ROLE_ID,
    requiresArg: true,
    describe: 'MP role ID (decimal, may exceed 2^53)',
  },
  passive: { type: 'boolean', default: false, describe: 'the site server is in passive mode' },
  'crl-distribution-point': {
    type: 'boolean',
    default: false,
    describe:
      "publish the root's CRL at the MP (http://<mp>/CRL/sms-issuing.crl) and name it in the MP's and the CMG's certificates",
  },
  force: { type: 'boolean', default: false, describe: 'replace an existing site' },
  'content-size': {
    choices: CONTENT_SIZES,
    default: 'small',
    describe:
      "sizes of the client source's generated files in <site dir>/Client: small (2 to 8 KiB each) or real (the real downloads' sizes, about 210 MB in all)",
  },
  'mp-port': { type: 'string', requiresArg: true, describe: 'MP HTTP port to record (default: a free one)' },
  'mp-https-port': { type: 'string', requiresArg: true, describe: 'MP HTTPS port to record' },
  'cmg-port': { type: 'string', requiresArg: true, describe: 'CMG port to record' },
} as const;

function initCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site init',
    describe: 'create a site: hierarchy ID, site PKI, site database, client source',
    options: INIT_OPTIONS,
    run: onSite(async (args) => {
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
        contentSize: args['content-size'],
        clock,
        ports: {
          mp: initPort(args['mp-port'], 'mp-port'),
          mpHttps: initPort(args['mp-https-port'], 'mp-https-port'),
          cmg: initPort(args['cmg-port'], 'cmg-port'),
        },
      });
      withSite(args['site-dir'], (site) => {
        // As a GPO would deploy it: every client in the lab trusts the site's root. A site outside a lab touches no lab.
        const lab = siteLabOf(args);
        const root = lab
          ? trustRoot(lab, `site-${site.config.siteCode}`, site.certificatePem('sms-issuing'))
          : undefined;
        const summary = { ...siteSummary(site, args), trustedAs: root?.name ?? null };
        process.stderr.write(
          `ccmlab: site ${summary.siteCode} created in ${summary.siteDir}; ${root ? `the lab trusts its root as '${root.name}'` : `no lab trusts its root (--site-dir outside a lab): give clients --ca-file ${summary.rootCaFile}`}\n`,
        );
        printResult(args.json, summary, () => humanSummary(summary));
      });
      return 0;
    }),
  });
}

function showCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site show',
    describe: 'print the site: code, hierarchy, names, role ID, certificates, rootCaFile',
    options: SITE_OPTIONS,
    run: onSite(async (args) => {
      withSite(args['site-dir'], (site) => {
        const summary = siteSummary(site, args);
        printResult(args.json, summary, () => humanSummary(summary));
      });
      return 0;
    }),
  });
}

const TOKEN_COLUMNS = [
  ['guid', 'GUID'],
  ['type', 'Type'],
  ['validFrom', 'Valid from'],
  ['validTo', 'Valid to'],
  ['status', 'Status'],
  ['blockedAt', 'Blocked at'],
] as const;

function listCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site tokens list',
    describe: "list bulk registration tokens, as the console's Certificates node does",
    options: { ...SITE_OPTIONS, all: { type: 'boolean', default: false, describe: 'add the site certificates' } },
    run: onSite(async (args) => {
      const rows = tokenRows(adminOf(args), args.all);
      printResult(args.json, rows, () =>
        rows.length === 0 ? 'No bulk registration tokens.\n' : formatTable(TOKEN_COLUMNS, rows),
      );
      return 0;
    }),
  });
}

function blockCommand(context: CommandContext, blocked: boolean): Command {
  return leafCommand(context, {
    path: blocked ? 'site tokens block' : 'site tokens unblock',
    describe: blocked
      ? 'block a bulk registration token: the site refuses it from now on'
      : 'unblock a blocked bulk registration token',
    options: { ...SITE_OPTIONS, guid: { type: 'string', demandOption: true, describe: "the token's tracking GUID" } },
    positionals: ['guid'],
    run: onSite(async (args) => {
      const guid = requireGuid(String(args.guid), 'token GUID');
      const change = changeTokenBlock(adminOf(args), guid, blocked);
      printResult(args.json, { ...change.record, changed: change.changed }, () => `${change.message}\n`);
      return 0;
    }),
  });
}

function renewCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site certs renew',
    describe: 'replace a site certificate and its key (token-signing: every token it signed stops working)',
    options: {
      ...SITE_OPTIONS,
      certificate: {
        choices: ['token-signing', 'role-ssl', 'cmg'] as const,
        demandOption: true,
        describe: 'the certificate',
      },
    },
    positionals: ['certificate'],
    run: onSite(async (args) => {
      const name = args.certificate;
      const { title, previous, current, consequence } = await renewCertificate(adminOf(args), name);
      printResult(
        args.json,
        { certificate: name, previousThumbprint: previous, thumbprint: current },
        () =>
          `${title} renewed: ${current} (was ${previous}).\n${name === 'token-signing' ? 'Every token signed by the old certificate stops working; clients need a new one.' : consequence}\n`,
      );
      return 0;
    }),
  });
}

function revokeCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'site certs revoke',
    describe: "put a site certificate on the root's CRL (the site keeps serving it until 'site certs renew')",
    options: {
      ...SITE_OPTIONS,
      certificate: { choices: ['cmg', 'role-ssl'] as const, demandOption: true, describe: 'the certificate' },
    },
    positionals: ['certificate'],
    run: onSite(async (args) => {
      const name = args.certificate;
      const { message, ...revoked } = revokeCertificate(adminOf(args), name);
      printResult(
        args.json,
        { certificate: name, ...revoked },
        `${message}${revoked.crlDistributionPoint ? '' : '\nThis site publishes no CRL (site init --crl-distribution-point), so no client will notice.'}\n`,
      );
      return 0;
    }),
  });
}

export function siteCommand(context: CommandContext): Command {
  const [start, stop, clients, config, clock] = siteRunCommands(context);
  const tokens = commandGroup(context, {
    path: 'site tokens',
    describe: 'bulk registration tokens (the console Certificates node)',
    commands: [listCommand(context), blockCommand(context, true), blockCommand(context, false)],
  });
  const certs = commandGroup(context, {
    path: 'site certs',
    describe: 'site certificates',
    commands: [renewCommand(context), revokeCommand(context)],
  });
  return commandGroup(context, {
    path: 'site',
    describe: TOP_COMMANDS.site,
    commands: [initCommand(context), showCommand(context), start, stop, tokens, clients, config, clock, certs],
  });
}
