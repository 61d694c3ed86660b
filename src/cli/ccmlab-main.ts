import yargs from 'yargs';
import { TOP_COMMANDS, type TopCommand } from './command-index';
import { CommandLine, HELP_ALIAS, VERSION_ALIAS } from './command-line';
import type { Command } from './command-tree';
import { CommandContext } from './context';
import type { ProgramInfo } from './exit';
import { withExamples } from './help-examples';
import { GLOBAL_OPTIONS } from './options';
import { versionLine } from './version';

/** `clock set -1d`: a negative offset is a value, not a flag (yargs would read it as -1 -d). */
function protectNegativeOffsets(argv: readonly string[]): string[] {
  const out = [...argv];
  const set = out.findIndex((a, i) => a === 'set' && out[i - 1] === 'clock');
  if (set >= 0 && /^-\d+[dhm]$/i.test(out[set + 1] ?? '')) out[set + 1] = `--when=${out[set + 1]}`;
  return out;
}

/* eslint-disable @typescript-eslint/no-require-imports -- a command's module is loaded when it is named, not at start */
const LOADERS: Record<TopCommand, () => (context: CommandContext) => Command> = {
  site: () => (require('./commands/site') as typeof import('./commands/site')).siteCommand,
  clock: () => (require('./commands/lab-world') as typeof import('./commands/lab-world')).clockCommand,
  lab: () => (require('./commands/lab-world') as typeof import('./commands/lab-world')).labCommand,
  client: () => (require('./commands/client') as typeof import('./commands/client')).clientCommand,
  log: () => (require('./commands/log') as typeof import('./commands/log')).logCommand,
  scenario: () => (require('./commands/scenario') as typeof import('./commands/scenario')).scenarioCommand,
  demo: () => (require('./commands/demo') as typeof import('./commands/demo')).demoCommand,
  fleet: () => (require('./commands/fleet') as typeof import('./commands/fleet')).fleetCommand,
  bench: () => (require('./commands/bench') as typeof import('./commands/bench')).benchCommand,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The command the line names (its first word that is not an option), if it is one of ccmlab's. */
function namedCommand(tokens: readonly string[]): TopCommand | undefined {
  const first = tokens.find((t) => !t.startsWith('-'));
  return first !== undefined && Object.hasOwn(TOP_COMMANDS, first) ? (first as TopCommand) : undefined;
}

/** Every top-level command: the one named, loaded; the others as their name and description (for help and refusals). */
function topCommands(context: CommandContext, tokens: readonly string[]): Command[] {
  const named = namedCommand(tokens);
  return (Object.keys(TOP_COMMANDS) as TopCommand[]).map((name) =>
    name === named ? LOADERS[name]()(context) : { name, addTo: (y) => y.command(name, TOP_COMMANDS[name]) },
  );
}

export async function main(argv: readonly string[]): Promise<number> {
  const tokens = protectNegativeOffsets(argv);
  const commandLine = new CommandLine('ccmlab', tokens, GLOBAL_OPTIONS);
  const context = new CommandContext(commandLine);
  const commands = topCommands(context, tokens);
  commandLine.enter({ path: '', subcommands: commands.map((c) => c.name) });
  let helpShown = false;
  const root = withExamples(yargs(), 'ccmlab')
    .scriptName('ccmlab')
    .usage(
      'ccmlab <command>\n\nConfiguration Manager lab: an emulated site, CMG and clients for token-based enrollment.',
    )
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .options(GLOBAL_OPTIONS)
    // Before yargs validates: ccmlab's own checks of the deepest command yargs reached, in ccmlab's words.
    .middleware((parsed) => commandLine.check(parsed), true)
    .strict()
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined) => {
      // yargs reports its own validation failures as YError; anything else is ours to pass on.
      if (error && error.name !== 'YError') throw error;
      throw commandLine.yargsRefusal(message ?? error?.message ?? 'bad command line');
    })
    .help()
    .alias(HELP_ALIAS, 'help')
    .version('version', 'show the version', versionLine('ccmlab'))
    .alias(VERSION_ALIAS, 'version')
    .wrap(Math.min(100, process.stdout.columns ?? 100));
  const parser = commands.reduce((built, command) => command.addTo(built), root);
  await parser.parseAsync(tokens, {}, (_error: unknown, _parsed: unknown, output: string) => {
    if (output) {
      helpShown = true;
      process.stdout.write(`${output}\n`);
    }
  });
  const outcome = context.result();
  if (outcome) return outcome;
  return helpShown ? 0 : 2;
}

export const program: ProgramInfo = { name: 'ccmlab' };
