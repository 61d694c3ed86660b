/** `--json` prints one JSON document on stdout; otherwise the human text goes there. */
export function printResult(json: boolean | undefined, document: unknown, human: string | (() => string)): void {
  process.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : typeof human === 'function' ? human() : human);
}
