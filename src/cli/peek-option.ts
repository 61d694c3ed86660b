/**
 * A `--name value` or `--name=value` read before full parsing, so that a refusal of the
 * rest of the command line can still be logged where the user asked.
 */
export function peekOption(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return undefined;
}
