import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { ROOT } from './support/paths';

/**
 * Prettier keeps code within 120 columns but cannot break a string or a comment; this holds the
 * rest: no line of src/ holds more than 140 characters of code (anything but string and template
 * text and comments).
 */

const MAX_COLUMN = 140;

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

const TEXT = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
]);

/** Lines whose code (what is left without string and template text and comments) is longer than MAX_COLUMN: `file:line`. */
function overlong(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const masked = new Uint8Array(text.length);
  const mask = (start: number, end: number): void => {
    masked.fill(1, start, end);
  };
  const visit = (node: ts.Node): void => {
    if (TEXT.has(node.kind)) mask(node.getStart(source), node.getEnd());
    for (const range of [
      ...(ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []),
      ...(ts.getTrailingCommentRanges(text, node.getEnd()) ?? []),
    ])
      mask(range.pos, range.end);
    node.getChildren(source).forEach(visit);
  };
  visit(source);
  const found: string[] = [];
  let start = 0;
  text.split('\n').forEach((line, i) => {
    let code = 0;
    for (let at = start; at < start + line.length; at++) if (!masked[at]) code++;
    if (code > MAX_COLUMN) found.push(`${path.relative(ROOT, file)}:${i + 1}`);
    start += line.length + 1;
  });
  return found;
}

test(`no line of src/ holds more than ${MAX_COLUMN} characters of code`, () => {
  expect(sources(path.join(ROOT, 'src')).flatMap(overlong)).toEqual([]);
});
