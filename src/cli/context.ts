/**
 * What command handlers share: yargs calls a handler and forgets it, so each handler
 * hands its work to `run`, and the entry point awaits the outcome and its exit code.
 */
export class CommandContext {
  private outcome: Promise<number> | undefined;

  run(work: () => Promise<number>): Promise<void> {
    this.outcome = work();
    return this.outcome.then(() => undefined);
  }

  /** The exit code of the command that ran; undefined when yargs only printed help. */
  result(): Promise<number> | undefined {
    return this.outcome;
  }
}
