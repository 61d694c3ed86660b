import type { ArgumentsCamelCase, Argv, CommandModule, InferredOptionTypes, Omit as Without } from 'yargs';
import { CcmlabError } from '../core/errors';
import type { CommandContext } from './context';
import { withExamples, type CommandPath } from './help-examples';
import type { GlobalArgs, OptionTable } from './options';

/**
 * ccmlab's commands as a tree: a group names its subcommands, a command declares its option
 * table once (positionals included: yargs parses them as options named after them) and runs
 * one function. Each builder tells the command line which command yargs is parsing, for
 * ccmlab's own checks (command-line.ts), and adds the help page's examples; the arguments a
 * command's function gets are typed from its table.
 */

/** A command of the tree, ready to be added to its parent (its arguments' type stays inside). */
export interface Command {
  readonly name: string;
  addTo(y: Argv<GlobalArgs>): Argv<GlobalArgs>;
}

type Parsed<O extends OptionTable> = Without<GlobalArgs, keyof O> & InferredOptionTypes<O>;

/** What yargs parsed for a command with this table, the global options included. */
export type ParsedArgs<O extends OptionTable> = ArgumentsCamelCase<Parsed<O>>;

export interface LeafSpec<O extends OptionTable> {
  path: CommandPath;
  describe: string;
  /** Its options and positionals. */
  options: O;
  /** The entries of `options` that are positionals, in command-line order: `<name>` when demanded, `[name]` otherwise, `..` for a list. */
  positionals?: ReadonlyArray<keyof O & string>;
  /** The positionals as the help page shows them, when the command checks them itself. */
  usage?: string;
  conflicts?: ReadonlyArray<readonly [keyof O & string, keyof O & string]>;
  run: (args: ParsedArgs<O>) => Promise<number>;
  /** For a command that works in no lab: why, said when --lab is given (it is refused, never ignored). */
  noLab?: string;
}

const lastWord = (path: string): string => path.split(' ').pop() ?? path;

function positionalSyntax(options: OptionTable, positionals: readonly string[]): string[] {
  return positionals.map((name) => {
    const inner = `${name}${options[name].array ? '..' : ''}`;
    return options[name].demandOption ? `<${inner}>` : `[${inner}]`;
  });
}

/** A command that runs: parses its options, calls `run`, whose resolved exit code is the command's. */
export function leafCommand<O extends OptionTable>(context: CommandContext, spec: LeafSpec<O>): Command {
  const positionals = spec.positionals ?? [];
  const module: CommandModule<GlobalArgs, Parsed<O>> = {
    command: [lastWord(spec.path), ...positionalSyntax(spec.options, positionals)].join(' '),
    describe: spec.describe,
    builder: (y) => {
      context.commandLine.enter({ path: spec.path, options: spec.options, positionals, conflicts: spec.conflicts });
      const built = withExamples(y, spec.path).options(spec.options);
      const shown = spec.usage === undefined ? built : built.usage(`$0 ${spec.path} ${spec.usage}\n\n${spec.describe}`);
      return positionals.length > 0 ? shown.group([...positionals], 'Positionals:') : shown;
    },
    handler: (args) =>
      context.run(() => {
        if (spec.noLab !== undefined && args.lab !== undefined) {
          throw new CcmlabError('CCMLAB_E_BAD_OPTION', `--lab does not apply to ccmlab ${spec.path}: ${spec.noLab}`);
        }
        return spec.run(args);
      }),
  };
  return { name: lastWord(spec.path), addTo: (y) => y.command(module) };
}

/** A command that only groups others: the user names one of them. */
export interface GroupSpec {
  path: CommandPath;
  describe: string;
  commands: readonly Command[];
}

export function commandGroup(context: CommandContext, spec: GroupSpec): Command {
  const module: CommandModule<GlobalArgs, GlobalArgs> = {
    command: lastWord(spec.path),
    describe: spec.describe,
    builder: (y) => {
      context.commandLine.enter({ path: spec.path, subcommands: spec.commands.map((c) => c.name) });
      return spec.commands.reduce((built, command) => command.addTo(built), withExamples(y, spec.path));
    },
    handler: () => undefined,
  };
  return { name: lastWord(spec.path), addTo: (y) => y.command(module) };
}
