import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  EnrolledSet,
  JournalWriter,
  parseRecord,
  pendingClients,
  replayJournal,
  type JournalRecord,
} from '../../src/fleet/journal';
import { removeDir, tempDir } from '../support/paths';

const enrolled = (n: number): JournalRecord => ({
  type: 'enrolled',
  n,
  name: `FLEET${String(n).padStart(5, '0')}`,
  smsid: `GUID:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  at: '2026-11-25T10:00:00.000Z',
  ms: { keys: 1.5, registration: 20 },
});
const failed = (n: number): JournalRecord => ({
  type: 'failed',
  n,
  name: `FLEET${String(n).padStart(5, '0')}`,
  code: 'CCMCLIENT_E_CANNOT_CONNECT',
  message: 'the CMG is down',
  at: '2026-11-25T10:00:00.000Z',
});
const lines = (...records: JournalRecord[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

let work: string;
let file: string;
beforeEach(() => {
  work = tempDir();
  file = path.join(work, 'journal.jsonl');
});
afterEach(() => removeDir(work));

describe('journal records and decisions (pure)', () => {
  test('records as this ccmlab writes them parse; anything else does not', () => {
    expect(parseRecord(JSON.stringify(enrolled(3)))).toEqual(enrolled(3));
    expect(parseRecord(JSON.stringify(failed(4)))).toEqual(failed(4));
    for (const bad of [
      '',
      '{',
      '[]',
      '{"type":"enrolled","n":0,"name":"A","at":"t","smsid":"s","ms":{}}',
      '{"type":"enrolled","n":1.5,"name":"A","at":"t","smsid":"s","ms":{}}',
      '{"type":"other","n":1,"name":"A","at":"t"}',
      '{"type":"failed","n":1,"name":"A","at":"t","code":"C"}',
    ]) {
      expect(parseRecord(bad)).toBeUndefined();
    }
  });

  test('a rerun enrolls exactly the clients up to the count that no enrolled record names', () => {
    const set = new EnrolledSet();
    for (const n of [2, 3, 3, 7, 12]) set.add(n);
    expect(set.size).toBe(4);
    expect([...pendingClients(8, set)]).toEqual([1, 4, 5, 6, 8]);
    expect([...pendingClients(3, new EnrolledSet())]).toEqual([1, 2, 3]);
  });
});

describe('journal replay and append', () => {
  test('a missing journal is empty; enrolled records count, failed ones are retried', () => {
    expect(replayJournal(file)).toMatchObject({ failures: 0, committedBytes: 0 });
    const text = lines(enrolled(1), failed(2), enrolled(3), failed(1));
    fs.writeFileSync(file, text);
    const replay = replayJournal(file);
    expect([...pendingClients(4, replay.enrolled)]).toEqual([2, 4]);
    expect(replay).toMatchObject({ failures: 2, committedBytes: Buffer.byteLength(text) });
  });

  test('a line torn by a crash is not committed: replay ignores it and the next writer cuts it off', async () => {
    const whole = lines(enrolled(1));
    fs.writeFileSync(file, `${whole}{"type":"enrolled","n":2,"na`);
    const replay = replayJournal(file);
    expect(replay.enrolled.has(2)).toBe(false);
    expect(replay.committedBytes).toBe(Buffer.byteLength(whole));
    const writer = new JournalWriter(file, replay.committedBytes);
    writer.append(enrolled(2));
    await writer.flush();
    writer.close();
    expect(fs.readFileSync(file, 'utf8')).toBe(lines(enrolled(1), enrolled(2)));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test('a damaged line inside the journal is refused with where it is', () => {
    fs.writeFileSync(file, `${lines(enrolled(1))}not json\n${lines(enrolled(2))}`);
    expect(() => replayJournal(file)).toThrow(/the fleet journal .* has a line that is not a fleet record at byte \d+/);
    fs.writeFileSync(file, 'x'.repeat(20_000));
    expect(() => replayJournal(file)).toThrow(/has a line longer than 16384 bytes/);
  });

  test('a long journal is read in bounded chunks, records spanning chunk boundaries included', () => {
    const records = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? failed(i + 1) : enrolled(i + 1)));
    fs.writeFileSync(file, lines(...records));
    const replay = replayJournal(file);
    expect(replay.enrolled.size).toBe(2000);
    expect(replay.failures).toBe(1000);
    expect(replay.committedBytes).toBe(fs.statSync(file).size);
  });

  test('flush: one fsync covers every record appended before it; every waiter resolves', async () => {
    const writer = new JournalWriter(file, 0);
    const waits = [1, 2, 3].map((n) => {
      writer.append(enrolled(n));
      return writer.flush();
    });
    await Promise.all(waits);
    await writer.flush();
    writer.close();
    expect(replayJournal(file).enrolled.size).toBe(3);
  });

  const onPosix = process.platform === 'win32' ? test.skip : test;

  onPosix(
    'a journal that is a link is refused by replay and by the writer: its target is neither cut nor re-moded',
    () => {
      const target = path.join(work, 'elsewhere.jsonl');
      const text = `${lines(enrolled(1))}{"torn`;
      fs.writeFileSync(target, text);
      fs.chmodSync(target, 0o644);
      fs.symlinkSync(target, file);
      expect(() => replayJournal(file)).toThrow(
        expect.objectContaining({
          code: 'CCMLAB_E_FLEET_DIR',
          message: expect.stringMatching(
            /^the fleet journal .*journal\.jsonl is a symbolic link, which ccmlab does not follow here; /,
          ),
        }),
      );
      expect(() => new JournalWriter(file, Buffer.byteLength(lines(enrolled(1))))).toThrow(
        /journal\.jsonl is a symbolic link/,
      );
      expect(fs.readFileSync(target, 'utf8')).toBe(text);
      expect(fs.statSync(target).mode & 0o777).toBe(0o644);
    },
  );

  onPosix('a journal that is a device is refused by the writer without writing to it', () => {
    expect(() => new JournalWriter('/dev/null', 0)).toThrow(
      /the fleet journal \/dev\/null is a character device, not a regular file/,
    );
  });
});
