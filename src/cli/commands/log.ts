import { TOP_COMMANDS } from '../command-index';
import { commandGroup, type Command } from '../command-tree';
import type { CommandContext } from '../context';
import { logDiagnoseCommand } from './log-diagnose';
import { logShowCommand } from './log-show';

/** `ccmlab log`: reading CMTrace logs. */
export function logCommand(context: CommandContext): Command {
  return commandGroup(context, {
    path: 'log',
    describe: TOP_COMMANDS.log,
    commands: [logShowCommand(context), logDiagnoseCommand(context)],
  });
}
