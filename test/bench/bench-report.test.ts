import {
  benchRows,
  combine,
  measured,
  median,
  merge,
  targetMet,
  TARGETS,
  type BenchReport,
} from '../../src/bench/bench-report';

/** The bench's report: plain numbers, ratios of figure to limit, targets met or not. */

test('a measurement is its figure, limit and ratio, rounded to four digits', () => {
  expect(measured('log_write', 61_234.56, 98_765.43)).toEqual({
    figures: { log_write: 61_230 },
    limits: { log_write: 98_770 },
    ratios: { log_write: 0.62 },
  });
});

test('targets: log_write at least 0.6; each startup at most 2, a ccmsetup dry run (it writes a log) 2.5; each bound included', () => {
  expect([0.59, 0.6, 0.9].map((r) => targetMet(TARGETS.log_write, r))).toEqual([false, true, true]);
  for (const name of ['startup_version', 'startup_clock_show', 'startup_client_status', 'startup_token_tool'])
    expect([name, [1.2, 2, 2.01].map((r) => targetMet(TARGETS[name], r))]).toEqual([name, [true, true, false]]);
  expect([1.2, 2.5, 2.51].map((r) => targetMet(TARGETS.startup_ccmsetup_dry_run, r))).toEqual([true, true, false]);
  expect(TARGETS.startup).toBeUndefined();
});

test('the median of a step: the middle value, the upper middle of an even count', () => {
  expect(median([30, 10, 20])).toBe(20);
  expect(median([40, 10, 30, 20])).toBe(30);
  expect(median([7])).toBe(7);
});

test("a step's measurements combine into one part, in their order", () => {
  expect(combine([measured('startup_version', 60, 40), measured('startup_clock_show', 70, 35)])).toEqual({
    figures: { startup_version: 60, startup_clock_show: 70 },
    limits: { startup_version: 40, startup_clock_show: 35 },
    ratios: { startup_version: 1.5, startup_clock_show: 2 },
  });
});

test('rows: one per limit in the order measured, then figures set against a limit of another name, then ratios alone', () => {
  let report: BenchReport = { machine: { cpus: 2 }, figures: {}, limits: {}, ratios: {} };
  report = merge(report, { limits: { keygen_limit: 9.5 } });
  report = merge(report, measured('startup_version', 300, 100));
  report = merge(report, measured('log_write', 70, 100));
  report = merge(report, measured('mp_request', 30, 100));
  report = merge(report, { figures: { enroll_fresh: 4.2 }, ratios: { enroll_fresh: 0.88 } });
  report = merge(report, { ratios: { enroll_cached_of_wire: 0.5 } });
  expect(benchRows(report).map(({ figure, limit, ratio, target, met }) => [figure, limit, ratio, target, met])).toEqual(
    [
      ['', '9.5', '', '', ''],
      ['300', '100', '3', '<= 2', 'not met'],
      ['70', '100', '0.7', '>= 0.6', 'met'],
      ['30', '100', '0.3', '', ''],
      ['4.2', '', '0.88', '>= 0.9', 'not met'],
      ['', '', '0.5', '>= 0.25', 'met'],
    ],
  );
  expect(benchRows(report)[0]).toMatchObject({ measurement: 'keygen_limit', about: 'RSA-2048 key pairs/s, all cores' });
});
