import { countOf, escapeControl } from '../../core/text';
import { diagnose, type Finding } from '../../diagnose/diagnose';
import { DIAGNOSE_LIMITS } from '../../diagnose/log-lines';
import { describeUnread } from '../../log/log-set';
import { leafCommand, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { printResult } from '../output';
import { logPaths, noLogsUnder, noteSkipped } from './log-show';

const DIAGNOSE_OPTIONS = {
  paths: {
    type: 'string',
    array: true,
    describe:
      'log files (any name) and folders of logs, read recursively: client and site logs together tie failures to their reasons',
  },
} as const;

function formatFinding(f: Finding): string {
  const evidence = f.evidence.map((e) => `    ${e.file}:${e.line}  ${e.time ?? '(no time)'}  ${escapeControl(e.text)}`);
  const more = f.moreEvidence ? [`    … and ${countOf(f.moreEvidence, 'more line')}`] : [];
  return [
    `${f.id}: ${f.title}`,
    `  Cause: ${f.cause}`,
    `  Fix:   ${f.fix}`,
    '  Evidence:',
    ...evidence,
    ...more,
    '',
  ].join('\n');
}

function summary(findings: readonly Finding[], files: number): string {
  const read = `in ${countOf(files, 'log file')}`;
  if (findings.length === 0) return `No known failure and no error found ${read}.`;
  return `${countOf(findings.length, 'finding')} ${read}: ${findings.map((f) => f.id).join(', ')}.`;
}

export function logDiagnoseCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'log diagnose',
    describe:
      "name the documented failures client and site logs show (ccmlab's or real ones), with evidence, cause and fix; exit 1 when one is found",
    options: DIAGNOSE_OPTIONS,
    positionals: ['paths'],
    noLab: "it reads the logs it is given; name the lab's logs (<lab>/logs)",
    usage: '<paths..>',
    run: async (args) => {
      const paths = logPaths(args.paths, 'log diagnose');
      const result = diagnose(paths);
      noteSkipped(result.skipped);
      if (result.files === 0) throw noLogsUnder(paths);
      if (result.bare.length > 0) {
        const named = result.bare.slice(0, 3).join(', ') + (result.bare.length > 3 ? ', …' : '');
        process.stderr.write(
          `ccmlab: ${countOf(result.bare.length, 'file')} held no CMTrace record (${named}); their text was searched as pasted excerpts\n`,
        );
      }
      const { findings } = result;
      printResult(args.json, { findings, ...(result.unread ? { unread: result.unread } : {}) }, () =>
        [...findings.map(formatFinding), summary(findings, result.files), ''].join('\n'),
      );
      // Logs not read in full cannot be said to hold no failure.
      if (result.unread)
        process.stderr.write(`ccmlab: ${escapeControl(describeUnread(result.unread, DIAGNOSE_LIMITS.maxReadMs))}\n`);
      return findings.length > 0 || result.unread ? 1 : 0;
    },
  });
}
