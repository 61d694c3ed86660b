import type { Argv, CommandModule } from 'yargs';
import { parseIsoInstant } from '../../core/clock';
import { countOf } from '../../core/text';
import { followLog } from '../../log/follow';
import { compileGrep, entryJson, formatEntry, matches, readLog, type LogFilter, type TypeName } from '../../log/viewer';
import type { CommandContext } from '../context';
import { withExamples } from '../help-examples';

interface ShowArgs {
  file: string;
  type?: TypeName;
  component?: string;
  grep?: string;
  since?: string;
  json?: boolean;
  follow?: boolean;
}

function useColour(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

export function logShowCommand(context: CommandContext): CommandModule<object, ShowArgs> {
  return {
    command: 'show <file>',
    describe: 'print a CMTrace log (with its history files), filtered, coloured by type on a terminal',
    builder: (y: Argv) =>
      withExamples(y, 'log show')
        .positional('file', { type: 'string', demandOption: true, describe: 'the .log file (its .lo_ and history files are read first)' })
        .option('type', { choices: ['info', 'warning', 'error'] as const, describe: 'only lines of this type' })
        .option('component', { type: 'string', describe: 'only lines of this component' })
        .option('grep', { type: 'string', describe: 'only lines whose message matches this regular expression' })
        .option('since', { type: 'string', describe: 'only lines at or after this ISO-8601 instant' })
        .option('follow', { type: 'boolean', describe: 'keep printing new lines until interrupted' }) as unknown as Argv<ShowArgs>,
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
        const read = readLog(args.file);
        const shown = read.entries.filter((e) => matches(e, filter));
        const colour = useColour();
        if (args.json && !args.follow) {
          process.stdout.write(`${JSON.stringify(shown.map(entryJson), null, 2)}\n`);
        } else {
          for (const e of shown) process.stdout.write(`${args.json ? JSON.stringify(entryJson(e)) : formatEntry(e, colour)}\n`);
        }
        if (read.unparsed > 0) process.stderr.write(`ccmlab: skipped ${countOf(read.unparsed, 'block')} of text that is not CMTrace\n`);
        if (!args.follow) return 0;
        const live = read.files[read.files.length - 1];
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        await followLog(live, {
          from: read.lastFileBytes,
          signal: stop.signal,
          onEntry: (e) => {
            if (matches(e, filter)) process.stdout.write(`${args.json ? JSON.stringify(entryJson(e)) : formatEntry(e, colour)}\n`);
          },
        });
        return 0;
      }),
  };
}
