import type { Argv, CommandModule } from 'yargs';
import { parseIsoInstant } from '../../core/clock';
import { CcmlabError } from '../../core/errors';
import { collectLogFiles, describeUnread, followTimeline, LOG_SET_LIMITS, mergeTimeline, type LogRecord, type LogSet, type SkippedFile } from '../../log/log-set';
import { compileGrep, entryJson, formatEntry, logLabels, matches, type LogFilter, type TypeName } from '../../log/viewer';
import { countOf, escapeControl } from '../../core/text';
import type { CommandContext } from '../context';
import { withExamples } from '../help-examples';

interface ShowArgs {
  paths: string[];
  type?: TypeName;
  component?: string;
  grep?: string;
  since?: string;
  json?: boolean;
  follow?: boolean;
}

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
  if (skipped.length > MAX_SKIP_NOTES) process.stderr.write(`ccmlab: skipped ${skipped.length - MAX_SKIP_NOTES} more files or folders\n`);
}

/** The error for paths that exist but hold no log. */
export function noLogsUnder(paths: readonly string[]): CcmlabError {
  return new CcmlabError('CCMLAB_E_FILE_NOT_FOUND', `no logs (*.log, *.lo_) under ${paths.join(', ')}; give a .log file or a folder that holds logs`);
}

function logsToShow(args: ShowArgs): LogSet[] {
  const collected = collectLogFiles(args.paths);
  noteSkipped(collected.skipped);
  if (collected.sets.length === 0) throw noLogsUnder(args.paths);
  if (args.follow && collected.sets.length > MAX_FOLLOWED_LOGS) {
    throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--follow follows at most ${MAX_FOLLOWED_LOGS} logs and the paths named hold ${collected.sets.length}; name fewer or narrower folders`);
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
    const items = records.slice(i, i + slice).map((r) => `  ${JSON.stringify(entryJson(r), null, 2).replace(/\n/g, '\n  ')}`);
    process.stdout.write(`${i === 0 ? '[\n' : ',\n'}${items.join(',\n')}`);
  }
  process.stdout.write('\n]\n');
}

function untilSignal(): AbortSignal {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return stop.signal;
}

export function logShowCommand(context: CommandContext): CommandModule<object, ShowArgs> {
  return {
    command: 'show <paths..>',
    describe: 'print CMTrace logs (with their history files), merged by time, filtered, coloured by type on a terminal',
    builder: (y: Argv) =>
      withExamples(y, 'log show')
        .positional('paths', { type: 'string', array: true, demandOption: true, describe: '.log files (their .lo_ and history files are read first) and folders of logs' })
        .option('type', { choices: ['info', 'warning', 'error'] as const, describe: 'only lines of this type' })
        .option('component', { type: 'string', describe: 'only lines of this component' })
        .option('grep', { type: 'string', describe: 'only lines whose message matches this regular expression (RE2 syntax, matched in linear time)' })
        .option('since', { type: 'string', describe: 'only lines at or after this ISO-8601 instant' })
        .option('follow', { type: 'boolean', describe: 'keep printing new lines of every log until interrupted' }) as unknown as Argv<ShowArgs>,
    handler: (args) =>
      context.run(async () => {
        const filter: LogFilter = {
          type: args.type,
          component: args.component,
          grep: args.grep !== undefined ? compileGrep(args.grep) : undefined,
          since: args.since !== undefined ? parseIsoInstant(args.since, '--since') : undefined,
        };
        if (args.json && args.follow) {
          // One JSON document cannot grow forever: --json with --follow prints one JSON line per entry.
          process.stderr.write('ccmlab: --json with --follow prints one JSON object per line\n');
        }
        const sets = logsToShow(args);
        const timeline = mergeTimeline(sets, { keep: (e) => matches(e, filter) });
        const shown = timeline.records;
        const print = recordPrinter(sets, args.json === true);
        if (args.json && !args.follow) {
          writeJsonArray(shown);
        } else {
          for (const e of shown) process.stdout.write(`${print(e)}\n`);
        }
        if (timeline.unparsed > 0) process.stderr.write(`ccmlab: skipped ${countOf(timeline.unparsed, 'block')} of text that is not CMTrace\n`);
        if (timeline.unread) process.stderr.write(`ccmlab: ${escapeControl(describeUnread(timeline.unread, LOG_SET_LIMITS.maxReadMs))}\n`);
        if (!args.follow) return timeline.unread ? 1 : 0;
        // The ready line: from here on every appended line is shown and a signal stops cleanly.
        process.stderr.write(`ccmlab: following ${timeline.tails.map((t) => t.file).join(', ')}; Ctrl+C stops\n`);
        await followTimeline(timeline.tails, {
          signal: untilSignal(),
          onRecords: (records) => {
            for (const e of records) if (matches(e, filter)) process.stdout.write(`${print(e)}\n`);
          },
        });
        return 0;
      }),
  };
}
