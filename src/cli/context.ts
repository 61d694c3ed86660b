import type { CommandLine } from './command-line';

/**
 * What command handlers share: the command line being parsed (whose checks each builder
 * tells which command it is), and the outcome: yargs calls a handler and forgets it, so each
 * handler hands its work to `run`, and the entry point awaits the outcome and its exit code.
 */
export class CommandContext {
  private outcome: Promise<number> | undefined;

  constructor(readonly commandLine: CommandLine) {}

  run(work: () => Promise<number>): Promise<void> {
    this.outcome = work();
    return this.outcome.then(() => undefined);
  }

  /** The exit code of the command that ran; undefined when yargs only printed help. */
  result(): Promise<number> | undefined {
    return this.outcome;
  }
}
