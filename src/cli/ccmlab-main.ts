import yargs from 'yargs';
import { CcmlabError } from '../core/errors';
import { nearest, printable } from '../core/text';
import { clockCommand, labCommand } from './commands/lab-world';
import { logDiagnoseCommand } from './commands/log-diagnose';
import { logShowCommand } from './commands/log-show';
import { scenarioCommand } from './commands/scenario';
import { siteCommand } from './commands/site';
import { clientCommand } from './commands/client';
import { demoCommand } from './commands/demo';
import { fleetCommand } from './commands/fleet';
import { benchCommand } from './commands/bench';
import { CommandContext } from './context';
import { runMain } from './exit';
import { withExamples } from './help-examples';
import { versionLine } from './version';

/** `clock set -1d`: a negative offset is a value, not a flag (yargs would read it as -1 -d). */
function protectNegativeOffsets(argv: readonly string[]): string[] {
  const out = [...argv];
  const set = out.findIndex((a, i) => a === 'set' && out[i - 1] === 'clock');
  if (set >= 0 && /^-\d+[dhm]$/i.test(out[set + 1] ?? '')) out[set + 1] = `--when=${out[set + 1]}`;
  return out;
}

const COMMANDS = ['site', 'clock', 'lab', 'client', 'log', 'scenario', 'demo', 'fleet', 'bench'];

/**
 * The options the failing command describes, to suggest one for a mistyped name. yargs 17
 * hands its fail handler the command's usage, whose descriptions name them; without it
 * (another yargs), no suggestion is made.
 */
function describedOptions(usage: unknown): string[] {
  const describe = (usage as { getDescriptions?: () => Record<string, unknown> } | undefined)?.getDescriptions;
  if (typeof describe !== 'function') return [];
  return Object.keys(describe.call(usage)).filter((k) => k.length > 1 && !['help', 'version'].includes(k));
}

/** yargs' words, said as a command-line user needs them: an unknown command named as one, a missing path asked for. */
function usageMessage(text: string, argv: readonly string[], options: readonly string[]): string {
  const unknown = /^Unknown arguments?: (\S+?),?(?: |$)/.exec(text)?.[1];
  if (unknown !== undefined && unknown === argv[0]) {
    const near = nearest(unknown, COMMANDS);
    return `'${printable(unknown)}' is not a ccmlab command${near ? ` (did you mean '${near}'?)` : ''}; the commands are ${COMMANDS.join(', ')}`;
  }
  const words = argv.slice(0, Math.min(2, ...[argv.findIndex((a) => a.startsWith('-'))].filter((i) => i >= 0)));
  if (unknown !== undefined && words.length === 2 && unknown === words[1]) {
    return `'${printable(unknown)}' is not a 'ccmlab ${printable(words[0])}' command; ccmlab ${printable(words[0])} --help lists them`;
  }
  const help = `ccmlab ${words.length > 0 ? `${printable(words.join(' '))} ` : ''}--help shows usage`;
  if (unknown !== undefined && argv.some((a) => a.startsWith('-') && a.replace(/^--?/, '').split('=')[0] === unknown)) {
    const near = nearest(unknown, options);
    return `--${printable(unknown)} is not an option here${near ? ` (did you mean --${near}?)` : ''}; ${help}`;
  }
  const invalid = /^Invalid values:\s+Argument: (\S+), Given: (.*?), Choices: (.*)$/.exec(text);
  if (invalid) return `--${invalid[1]} ${printable(invalid[2])} is not one of ${invalid[3]}; ${help}`;
  const exclusive = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(text);
  if (exclusive) return `give --${exclusive[1]} or --${exclusive[2]}, not both; ${help}`;
  if (/^Not enough non-option arguments/.test(text) && argv[0] === 'log') return `name the logs to read: one or more log files or folders (ccmlab log ${printable(argv[1] ?? 'show')} --help shows usage)`;
  return `${text} (${help})`;
}

async function main(argv: string[]): Promise<number> {
  const context = new CommandContext();
  let helpShown = false;
  const parser = withExamples(yargs(), 'ccmlab')
    .scriptName('ccmlab')
    .usage('ccmlab <command>\n\nConfiguration Manager lab: an emulated site, CMG and clients for token-based enrollment.')
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .option('json', { type: 'boolean', describe: 'print one JSON document on stdout', global: true })
    .option('now', { type: 'string', describe: "start the clock at this ISO-8601 instant (also CCMLAB_NOW; default: the lab's clock)", global: true })
    .option('lab', { type: 'string', describe: 'the lab root (env CCMLAB_LAB; default lab/, logs in logs/)', global: true, requiresArg: true })
    .command('log', 'read CMTrace logs', (y) =>
      withExamples(y, 'log').command(logShowCommand(context)).command(logDiagnoseCommand(context)).demandCommand(1, 'name a log command: show, diagnose').strict(),
    )
    .command(siteCommand(context))
    .command(clockCommand(context))
    .command(labCommand(context))
    .command(clientCommand(context))
    .command(scenarioCommand(context))
    .command(demoCommand(context))
    .command(fleetCommand(context))
    .command(benchCommand(context))
    .demandCommand(1, `name a command: ${COMMANDS.join(', ')}`)
    .strict()
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined, usage: unknown) => {
      // yargs reports its own validation failures as YError; anything else is ours to pass on.
      if (error && error.name !== 'YError') throw error;
      const options = describedOptions(usage);
      throw new CcmlabError('CCMLAB_E_USAGE', usageMessage((message ?? error?.message ?? 'bad command line').replace(/\n/g, ' '), argv, options));
    })
    .help()
    .version('version', 'show the version', versionLine('ccmlab'))
    .wrap(Math.min(100, process.stdout.columns ?? 100));
  await parser.parseAsync(protectNegativeOffsets(argv), {}, (_error: unknown, _parsed: unknown, output: string) => {
    if (output) {
      helpShown = true;
      process.stdout.write(`${output}\n`);
    }
  });
  const outcome = context.result();
  if (outcome) return outcome;
  return helpShown ? 0 : 2;
}

void runMain({ name: 'ccmlab' }, () => main(process.argv.slice(2)));
