/** `--json` prints one JSON document on stdout; otherwise the human text goes there. */
export function printResult(json: boolean | undefined, document: unknown, human: string | (() => string)): void {
  process.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : typeof human === 'function' ? human() : human);
}

/** Rows as aligned columns under a header row (human output only); null or missing cells are blank. */
export function formatTable(
  columns: ReadonlyArray<readonly [key: string, title: string]>,
  rows: ReadonlyArray<Record<string, unknown>>,
): string {
  const cell = (row: Record<string, unknown>, key: string) =>
    row[key] === null || row[key] === undefined ? '' : String(row[key]);
  const widths = columns.map(([key, title]) => Math.max(title.length, ...rows.map((r) => cell(r, key).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return `${[line(columns.map(([, title]) => title)), ...rows.map((r) => line(columns.map(([key]) => cell(r, key))))].join('\n')}\n`;
}
