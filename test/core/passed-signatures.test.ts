import * as crypto from 'node:crypto';
import { PassedSignatures } from '../../src/core/passed-signatures';

/** A signature that passed is not checked again for the same key, bytes and signature; anything else is, and failures are never kept. */

const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signed = (text: string) => crypto.sign('sha256', Buffer.from(text), privateKey).toString('base64');

test('a pass is remembered for exactly what was checked; a failure is checked again every time', () => {
  const passed = new PassedSignatures();
  let checks = 0;
  const verify = (text: string, signature: string) => () => {
    checks++;
    return crypto.verify('sha256', Buffer.from(text), publicKey, Buffer.from(signature, 'base64'));
  };
  const good = signed('GUID:1;2026-12-01T00:00:00Z;2');
  expect(
    passed.verify(['key-1', 'GUID:1;2026-12-01T00:00:00Z;2', good], verify('GUID:1;2026-12-01T00:00:00Z;2', good)),
  ).toBe(true);
  expect(
    passed.verify(['key-1', 'GUID:1;2026-12-01T00:00:00Z;2', good], verify('GUID:1;2026-12-01T00:00:00Z;2', good)),
  ).toBe(true);
  expect(checks).toBe(1);
  // Another key, other bytes, or parts that only join to the same text are checked afresh.
  expect(passed.verify(['key-2', 'GUID:1;2026-12-01T00:00:00Z;2', good], () => false)).toBe(false);
  expect(
    passed.verify(['key-1', 'GUID:1;2026-12-01T00:00:01Z;2', good], verify('GUID:1;2026-12-01T00:00:01Z;2', good)),
  ).toBe(false);
  expect(passed.verify(['key-1GUID:1;2026-12-01T00:00:00Z;2', '', good], () => false)).toBe(false);
  const failedBefore = checks;
  expect(
    passed.verify(['key-1', 'GUID:1;2026-12-01T00:00:01Z;2', good], verify('GUID:1;2026-12-01T00:00:01Z;2', good)),
  ).toBe(false);
  expect(checks).toBe(failedBefore + 1);
});

test('bounded: past its size the oldest pass is forgotten and checked again', () => {
  const passed = new PassedSignatures(2);
  let checks = 0;
  const pass = () => {
    checks++;
    return true;
  };
  for (const id of ['a', 'b', 'c', 'a']) passed.verify(['k', id, 's'], pass);
  expect(checks).toBe(4);
  passed.verify(['k', 'a', 's'], pass);
  expect(checks).toBe(4);
});
