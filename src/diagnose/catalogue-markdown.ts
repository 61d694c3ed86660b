import type { Catalogue, Expectation, Scenario, Signature, Source } from './catalogue';
import { PLACEHOLDERS } from './line-match';

/** docs/scenarios.md, written from the catalogue (`npm run docs`), so the page and the data cannot disagree. */

const TYPE_NAMES = ['0 (verbose)', '1 (info)', '2 (warning)', '3 (error)'];

/** Inline code that survives backticks and table pipes in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function wording(e: Expectation): string {
  const whose = e.origin === 'microsoft' ? `Microsoft's (${e.source})` : "ccmlab's";
  return e.key ? `${whose}, **key**` : e.signature ? whose : `${whose}; checked by the run, not part of the signature`;
}

function signatureTable(expect: readonly Expectation[]): string[] {
  return [
    '| log | line | type ccmlab writes | wording |',
    '|---|---|---|---|',
    ...expect.map(
      (e) =>
        `| ${e.log} | ${e.text !== undefined ? code(e.text) : `pattern ${code(e.pattern)}`} | ${TYPE_NAMES[e.type]} | ${wording(e)} |`,
    ),
  ];
}

function sourceList(sources: readonly Source[]): string[] {
  return sources.map((s) => `- ${s.id}: [${cell(s.title)}](${s.url})`);
}

function scenarioSection(s: Scenario): string[] {
  return [
    `### ${s.name}`,
    '',
    `**${s.title}** (${s.outcome})`,
    '',
    s.whatBroke,
    '',
    ...signatureTable(s.expect),
    ...causeFixSources('Cause', s),
  ];
}

/** The end every entry shares: its cause (or possible causes), the fix and the sources. */
function causeFixSources(causeLabel: string, s: Pick<Signature, 'cause' | 'fix' | 'sources'>): string[] {
  return [
    '',
    `**${causeLabel}.** ${s.cause}`,
    '',
    `**Fix.** ${s.fix}`,
    '',
    'Sources:',
    '',
    ...sourceList(s.sources),
    '',
  ];
}

function signatureSection(s: Signature): string[] {
  return [
    `### ${s.id}`,
    '',
    `**${s.title}**: may be ${s.explains.map((name) => `[${name}](#${name})`).join(', ')}.`,
    '',
    ...signatureTable(s.expect),
    ...causeFixSources('Possible causes', s),
  ];
}

const PLACEHOLDER_NOTES: Record<keyof typeof PLACEHOLDERS, string> = {
  cmg: "a host name; a scenario run binds it to its lab's CMG name (any case)",
  roleId: "digits; a run binds it to the lab's MP role ID",
  siteCode: "three letters or digits; a run binds it to the lab's site code (any case)",
  guid: 'a GUID (its braces or `GUID:` prefix are written around it)',
  n: 'a whole number',
  hex: 'hex digits (a `0x` is written before it)',
  time: '`MM/dd/yyyy HH:mm:ss`',
  '*': 'any text within one line (as little as will do)',
};

function introduction(): string[] {
  return [
    '# Scenarios: documented failures, reproduced and recognised',
    '',
    '<!-- Written by `npm run docs` from catalogue/scenarios/*/scenario.json and catalogue/signatures/*.json; edit those, not this page. -->',
    '',
    'Each scenario is a documented failure of token-based CMG enrollment (or the success it is told from) that',
    "ccmlab reproduces in a fresh lab and `ccmlab log diagnose PATH…` recognises in logs, ccmlab's or a real",
    "client's and site's. Its signature is the log lines it leaves, in order within each log, with the CMTrace",
    'type ccmlab writes (diagnosis ignores types: real excerpts vary). Each line says whose wording it is:',
    "**Microsoft's**, published in the source named (values such as host names, role IDs, GUIDs and times vary",
    "by deployment), or **ccmlab's**, for steps the public record shows no line for, written in the product's",
    'style. A failure has one **key** line: found alone, whatever its record type, it names the failure; its',
    'other lines are cited when present.',
    '',
    'Matching is tolerant of how real logs space things: whitespace is optional around `=` and `:` and before',
    '`,`, any other run of whitespace (CR/LF and TAB inside multi-line records too) matches any run, and a `>`',
    "before `Code=` (the support article's typo) is optional. A line is either literal text with placeholders",
    'or a JavaScript regular expression (`pattern`, the same placeholders allowed). Placeholders:',
    '',
    ...Object.entries(PLACEHOLDER_NOTES).map(([name, note]) => `- \`{${name}}\`: ${note}`),
    '',
    'A text line starts with words, not a placeholder, and puts words (or a space) between `{*}` and the',
    "placeholder after it: a search would otherwise read a long run of that placeholder's characters again",
    'from every place it could start, and `ccmlab log diagnose` stays linear on any paste.',
    '',
    'Several failures look the same from the client (the CMG answers 401 CMGService_Invalid_Token to an',
    'expired, a blocked and a foreign bulk token alike): the **client-side signatures** below. Diagnosis ties',
    "such lines to the failure whose key line gives their reason (the site's CCM_STS.log record near the same",
    'time, or the WinHTTP flag line just before them); when none does, it reports the signature with its',
    'possible causes. Type-3 records no signature explains are cited in one `unknown` finding.',
    '',
  ];
}

function formatSection(): string[] {
  return [
    '## The data',
    '',
    '`catalogue/scenarios/NAME/scenario.json`: `title`, `outcome` (`success` or `failure`), `whatBroke` (the answer',
    "key's paragraph), `cause`, `fix`, `sources` (`id`, `title`, `url`), and `expect`, a list of lines, each with",
    '`log` (its file name, or the end of its path), exactly one of `text` and `pattern` (with `example`, a message',
    'the pattern must match), `type` (0 to 3), `origin` (`microsoft` or `ccmlab`), `source` (a source id; required',
    "for Microsoft's lines) and `key` (`true` on exactly one line of a failure, on none of a success). The lines",
    'of one log are in the order they must appear; several may hold on one multi-line record.',
    '`catalogue/signatures/ID.json` has `title`, `cause`, `fix`, `sources`, `expect` (one key line) and `explains`,',
    'the failure scenarios it may be.',
    '',
  ];
}

export function catalogueMarkdown(catalogue: Catalogue): string {
  const index = catalogue.scenarios.map((s) => `| [${s.name}](#${s.name}) | ${s.outcome} | ${cell(s.title)} |`);
  const lines = [
    ...introduction(),
    ...formatSection(),
    '## Scenarios',
    '',
    '| scenario | outcome | what |',
    '|---|---|---|',
    ...index,
    '',
    ...catalogue.scenarios.flatMap(scenarioSection),
    '## Client-side signatures',
    '',
    ...catalogue.signatures.flatMap(signatureSection),
  ];
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
