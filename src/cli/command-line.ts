import { CcmlabError } from '../core/errors';
import { nearest, printable } from '../core/text';
import type { OptionTable } from './options';

/**
 * ccmlab's own checks of a command line, made against what each command declares (its
 * subcommands, option table, positionals and exclusive options) before yargs validates it,
 * so that every refusal is said in ccmlab's words: an unknown command named as one, a
 * mistyped option with the nearest option of that command, a bad choice with the choices.
 * What yargs still refuses itself (a missing value, a missing positional) is passed on as
 * yargs wrote it, with the usage hint of the command it was parsing.
 */

/** What yargs is parsing: a command that groups others, or one that runs. */
export interface DeclaredCommand {
  /** Its words after the program's name ('' for the program itself). */
  readonly path: string;
  /** A group's subcommands, in the order its help lists them. */
  readonly subcommands?: readonly string[];
  /** A command's own options and positionals; the program's global options are added. */
  readonly options?: OptionTable;
  /** The entries of `options` that are positionals. */
  readonly positionals?: readonly string[];
  /** Pairs of options that cannot be given together. */
  readonly conflicts?: ReadonlyArray<readonly [string, string]>;
}

/** The parts of yargs' parsed arguments the checks read. */
export type ParsedLine = Readonly<Record<string, unknown>> & { readonly _: ReadonlyArray<string | number> };

/** -h and -V, answered by every command. */
export const HELP_ALIAS = 'h';
export const VERSION_ALIAS = 'V';

const NEGATIVE_NUMBER = /^-\d+(?:\.\d+)?$/;
const LETTERS = /^[A-Za-z]+/;

export function usageHint(program: string, path: string): string {
  return `${path === '' ? program : `${program} ${path}`} --help shows usage`;
}

/** Each option name written on a command line, as written: `--name`, `--name=value`, each letter of `-abc`; none after `--`. */
export function writtenOptions(tokens: readonly string[]): Array<{ written: string; name: string }> {
  const end = tokens.indexOf('--');
  const written: Array<{ written: string; name: string }> = [];
  for (const token of end < 0 ? tokens : tokens.slice(0, end)) {
    if (!token.startsWith('-') || token === '-' || NEGATIVE_NUMBER.test(token)) continue;
    if (token.startsWith('--')) {
      const name = token.slice(2).split('=')[0];
      written.push({ written: `--${name}`, name });
    } else {
      for (const letter of LETTERS.exec(token.slice(1))?.[0] ?? '')
        written.push({ written: `-${letter}`, name: letter });
    }
  }
  return written;
}

function namesOf(tables: readonly OptionTable[]): Set<string> {
  const names = new Set<string>([HELP_ALIAS, 'help', VERSION_ALIAS, 'version']);
  for (const table of tables) {
    for (const [name, option] of Object.entries(table)) {
      names.add(name);
      for (const alias of option.alias === undefined ? [] : [option.alias].flat()) names.add(alias);
    }
  }
  return names;
}

/** yargs takes an option's camel-case spelling (--clientDir) and a boolean's negation (--no-json) as the option itself. */
function isDeclared(name: string, names: ReadonlySet<string>): boolean {
  const kebab = name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  return [name, kebab].some(
    (spelling) => names.has(spelling) || (spelling.startsWith('no-') && names.has(spelling.slice(3))),
  );
}

/** The first option written on the command line that none of the tables declares, with the declared option nearest to it. */
export interface UndeclaredOption {
  written: string;
  near: string | undefined;
}

export function undeclaredOption(
  tokens: readonly string[],
  tables: readonly OptionTable[],
  positionals: readonly string[] = [],
): UndeclaredOption | undefined {
  const names = namesOf(tables);
  const unknown = writtenOptions(tokens).find(({ name }) => !isDeclared(name, names));
  if (!unknown) return undefined;
  const candidates = tables
    .flatMap((table) => Object.keys(table))
    .filter((name) => name.length > 1 && !positionals.includes(name));
  return { written: printable(unknown.written), near: nearest(unknown.name, candidates) };
}

function unknownOption(
  command: DeclaredCommand,
  globals: OptionTable,
  tokens: readonly string[],
  hint: string,
): string | undefined {
  const unknown = undeclaredOption(tokens, [globals, command.options ?? {}], command.positionals);
  return (
    unknown &&
    `${unknown.written} is not an option here${unknown.near ? ` (did you mean --${unknown.near}?)` : ''}; ${hint}`
  );
}

function badChoice(command: DeclaredCommand, parsed: ParsedLine, hint: string): string | undefined {
  for (const [name, { choices }] of Object.entries(command.options ?? {})) {
    if (choices === undefined || parsed[name] === undefined) continue;
    const given = [parsed[name]].flat().find((value) => !choices.some((choice) => choice === value));
    const shown = command.positionals?.includes(name) ? name : `--${name}`;
    const listed = choices.map((c) => JSON.stringify(c)).join(', ');
    if (given !== undefined) return `${shown} ${printable(JSON.stringify(given))} is not one of ${listed}; ${hint}`;
  }
  return undefined;
}

function conflict(command: DeclaredCommand, parsed: ParsedLine, hint: string): string | undefined {
  const both = (command.conflicts ?? []).find(([a, b]) => parsed[a] !== undefined && parsed[b] !== undefined);
  return both ? `give --${both[0]} or --${both[1]}, not both; ${hint}` : undefined;
}

/** A group yargs stopped at: no subcommand was named, or one it does not have. */
function groupRefusal(
  program: string,
  command: DeclaredCommand & { subcommands: readonly string[] },
  parsed: ParsedLine,
): string {
  const depth = command.path === '' ? 0 : command.path.split(' ').length;
  const word = parsed._[depth];
  const list = command.subcommands.join(', ');
  const noun = command.path === '' ? 'command' : `${command.path.split(' ').pop() ?? ''} command`;
  if (word === undefined) return `name a ${noun}: ${list} (${usageHint(program, command.path)})`;
  const named = printable(String(word));
  if (command.path === '') {
    const near = nearest(String(word), command.subcommands);
    return `'${named}' is not a ${program} command${near ? ` (did you mean '${near}'?)` : ''}; the commands are ${list}`;
  }
  return `'${named}' is not a '${program} ${command.path}' command; ${program} ${command.path} --help lists them`;
}

/** What is wrong with the command line yargs parsed for `command`, in ccmlab's words; undefined if nothing this can see. */
export function commandLineRefusal(
  program: string,
  command: DeclaredCommand,
  globals: OptionTable,
  tokens: readonly string[],
  parsed: ParsedLine,
): string | undefined {
  if (command.subcommands) return groupRefusal(program, { ...command, subcommands: command.subcommands }, parsed);
  const hint = usageHint(program, command.path);
  return (
    unknownOption(command, globals, tokens, hint) ?? badChoice(command, parsed, hint) ?? conflict(command, parsed, hint)
  );
}

/**
 * One command line being parsed: yargs runs the builder of each command it goes into, which
 * says so here (`enter`), and the checks run once, before yargs' own validation, on the
 * deepest command it reached.
 */
export class CommandLine {
  private parsing: DeclaredCommand;
  private checked = false;

  constructor(
    private readonly program: string,
    private readonly tokens: readonly string[],
    private readonly globals: OptionTable,
  ) {
    this.parsing = { path: '' };
  }

  enter(command: DeclaredCommand): void {
    this.parsing = command;
  }

  /** Refuses the command line, in ccmlab's words, if anything in it is wrong; help and version are answered first. */
  check(parsed: ParsedLine): void {
    if (this.checked || parsed.help === true || parsed.version === true) return;
    this.checked = true;
    const refusal = commandLineRefusal(this.program, this.parsing, this.globals, this.tokens, parsed);
    if (refusal !== undefined) throw new CcmlabError('CCMLAB_E_USAGE', refusal);
  }

  /** A refusal of yargs' own, as it wrote it, with the usage hint of the command it was parsing. */
  yargsRefusal(message: string): CcmlabError {
    return new CcmlabError('CCMLAB_E_USAGE', `${message.replace(/\n/g, ' ')} (${this.usageHint()})`);
  }

  usageHint(): string {
    return usageHint(this.program, this.parsing.path);
  }
}
