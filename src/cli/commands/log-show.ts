import { untilStopped } from '../stop-signal';
import { parseIsoInstant } from '../../core/clock';
import { CcmlabError } from '../../core/errors';
import {
  collectLogFiles,
  describeUnread,
  followTimeline,
  LOG_SET_LIMITS,
  mergeTimeline,
  type LogRecord,
  type LogSet,
  type LogTail,
  type SkippedFile,
} from '../../log/log-set';
import { compileGrep, entryJson, formatEntry, logLabels, matches, type LogFilter } from '../../log/viewer';
import { countOf, escapeControl } from '../../core/text';
import { usageHint } from '../command-line';
import { leafCommand, type Command, type ParsedArgs } from '../command-tree';
import type { CommandContext } from '../context';

const SHOW_OPTIONS = {
  paths: {
    type: 'string',
    array: true,
    describe: '.log files (their .lo_ and history files are read first) and folders of logs',
  },
  type: { choices: ['info', 'warning', 'error'], describe: 'only lines of this type' },
  component: { type: 'string', describe: 'only lines of this component' },
  grep: {
    type: 'string',
    describe: 'only lines whose message matches this regular expression (RE2 syntax, matched in linear time)',
  },
  since: { type: 'string', describe: 'only lines at or after this ISO-8601 instant' },
  follow: { type: 'boolean', describe: 'keep printing new lines of every log until interrupted' },
} as const;

type ShowArgs = ParsedArgs<typeof SHOW_OPTIONS>;

/** Logs `--follow` keeps open at once (one file handle each). */
const MAX_FOLLOWED_LOGS = 256;
/** Skipped files named one by one on stderr; the rest are counted. */
const MAX_SKIP_NOTES = 20;

function useColour(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** Files and folders passed over, on stderr: the first few by name, the rest counted. */
export function noteSkipped(skipped: readonly SkippedFile[]): void {
  for (const s of skipped.slice(0, MAX_SKIP_NOTES)) process.stderr.write(`ccmlab: skipped ${s.path}: ${s.reason}\n`);
  if (skipped.length > MAX_SKIP_NOTES)
    process.stderr.write(`ccmlab: skipped ${skipped.length - MAX_SKIP_NOTES} more files or folders\n`);
}

/** The log paths a log command was given; yargs takes none as an empty list, which the command refuses in its own words. */
export function logPaths(paths: readonly string[] | undefined, command: 'log show' | 'log diagnose'): string[] {
  if (paths === undefined || paths.length === 0)
    throw new CcmlabError(
      'CCMLAB_E_USAGE',
      `name the logs to read: one or more log files or folders (${usageHint('ccmlab', command)})`,
    );
  return [...paths];
}

/** The error for paths that exist but hold no log. */
export function noLogsUnder(paths: readonly string[]): CcmlabError {
  return new CcmlabError(
    'CCMLAB_E_FILE_NOT_FOUND',
    `no logs (*.log, *.lo_) under ${paths.join(', ')}; give a .log file or a folder that holds logs`,
  );
}

function logsToShow(paths: readonly string[], follow: boolean | undefined): LogSet[] {
  const collected = collectLogFiles(paths);
  noteSkipped(collected.skipped);
  if (collected.sets.length === 0) throw noLogsUnder(paths);
  if (follow && collected.sets.length > MAX_FOLLOWED_LOGS) {
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--follow follows at most ${MAX_FOLLOWED_LOGS} logs and the paths named hold ${collected.sets.length}; name fewer or narrower folders`,
    );
  }
  return collected.sets;
}

/** How one record is printed: a line (with the log's label when several logs are shown) or a JSON object. */
function recordPrinter(sets: readonly LogSet[], json: boolean): (record: LogRecord) => string {
  if (json) return (record) => JSON.stringify(entryJson(record));
  const colour = useColour();
  if (sets.length === 1) return (record) => formatEntry(record, colour);
  const labels = logLabels(sets.map((s) => s.log));
  const labelOf = new Map(sets.map((s, i) => [s.log, labels[i]]));
  return (record) => formatEntry(record, colour, labelOf.get(record.log));
}

/**
 * The records as one JSON array, byte for byte what JSON.stringify(records, null, 2) prints,
 * written a slice at a time so a large timeline is never one string.
 */
function writeJsonArray(records: readonly LogRecord[]): void {
  if (records.length === 0) {
    process.stdout.write('[]\n');
    return;
  }
  const slice = 1000;
  for (let i = 0; i < records.length; i += slice) {
    const items = records
      .slice(i, i + slice)
      .map((r) => `  ${JSON.stringify(entryJson(r), null, 2).replace(/\n/g, '\n  ')}`);
    process.stdout.write(`${i === 0 ? '[\n' : ',\n'}${items.join(',\n')}`);
  }
  process.stdout.write('\n]\n');
}

function filterOf(args: ShowArgs): LogFilter {
  return {
    type: args.type,
    component: args.component,
    grep: args.grep !== undefined ? compileGrep(args.grep) : undefined,
    since: args.since !== undefined ? parseIsoInstant(args.since, '--since') : undefined,
  };
}

/** Until a signal: every line appended to the logs that passes the filter. */
async function follow(
  tails: readonly LogTail[],
  filter: LogFilter,
  print: (record: LogRecord) => string,
): Promise<void> {
  // The ready line: from here on every appended line is shown and a signal stops cleanly.
  process.stderr.write(`ccmlab: following ${tails.map((t) => t.file).join(', ')}; Ctrl+C stops\n`);
  await untilStopped((signal) =>
    followTimeline(tails, {
      signal,
      onRecords: (records) => {
        for (const e of records) if (matches(e, filter)) process.stdout.write(`${print(e)}\n`);
      },
    }),
  );
}

export function logShowCommand(context: CommandContext): Command {
  return leafCommand(context, {
    path: 'log show',
    describe: 'print CMTrace logs (with their history files), merged by time, filtered, coloured by type on a terminal',
    options: SHOW_OPTIONS,
    positionals: ['paths'],
    noLab: "it reads the logs it is given; name the lab's logs (<lab>/logs)",
    usage: '<paths..>',
    run: async (args) => {
      const paths = logPaths(args.paths, 'log show');
      const filter = filterOf(args);
      // One JSON document cannot grow forever: --json with --follow prints one JSON line per entry.
      if (args.json && args.follow)
        process.stderr.write('ccmlab: --json with --follow prints one JSON object per line\n');
      const sets = logsToShow(paths, args.follow);
      const timeline = mergeTimeline(sets, { keep: (e) => matches(e, filter) });
      const print = recordPrinter(sets, args.json === true);
      if (args.json && !args.follow) writeJsonArray(timeline.records);
      else for (const e of timeline.records) process.stdout.write(`${print(e)}\n`);
      if (timeline.unparsed > 0)
        process.stderr.write(`ccmlab: skipped ${countOf(timeline.unparsed, 'block')} of text that is not CMTrace\n`);
      if (timeline.unread)
        process.stderr.write(`ccmlab: ${escapeControl(describeUnread(timeline.unread, LOG_SET_LIMITS.maxReadMs))}\n`);
      if (!args.follow) return timeline.unread ? 1 : 0;
      await follow(timeline.tails, filter, print);
      return 0;
    },
  });
}
