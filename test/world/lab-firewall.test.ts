import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  blockedEndpoints,
  blockEndpoint,
  isBlocked,
  parseEndpoint,
  unblockEndpoint,
} from '../../src/world/lab-firewall';
import { labAt } from '../../src/world/lab';
import { removeDir, tempDir } from '../support/paths';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

test('endpoints are HOST:PORT or HOST:*, the host lower-cased; anything else is refused with the right form', () => {
  expect(parseEndpoint('MP01.Lab.Test:80')).toBe('mp01.lab.test:80');
  expect(parseEndpoint('cmg:*')).toBe('cmg:*');
  for (const bad of ['mp01', 'mp01:0', 'mp01:65536', 'a b:80', ':80', 'mp01:80\n']) {
    expect(() => parseEndpoint(bad.replace('\n', '\r'))).toThrow(/write HOST:PORT/);
  }
});

test('block, list, unblock: kept in <lab>/firewall.json; a port rule and a host rule both refuse', () => {
  const lab = labAt(dir);
  expect(blockEndpoint(lab, 'mp01.lab.test:80')).toBe(true);
  expect(blockEndpoint(lab, 'MP01.LAB.TEST:80')).toBe(false);
  expect(blockEndpoint(lab, 'cmg.lab.test:*')).toBe(true);
  const blocked = blockedEndpoints(lab);
  expect(blocked).toEqual(['mp01.lab.test:80', 'cmg.lab.test:*']);
  expect([
    isBlocked(blocked, 'MP01.lab.test', 80),
    isBlocked(blocked, 'mp01.lab.test', 443),
    isBlocked(blocked, 'cmg.lab.test', 8443),
  ]).toEqual([true, false, true]);
  expect(unblockEndpoint(lab, 'mp01.lab.test:80')).toBe(true);
  expect(unblockEndpoint(lab, 'mp01.lab.test:80')).toBe(false);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'firewall.json'), 'utf8'))).toEqual({ blocked: ['cmg.lab.test:*'] });
});

test('a damaged firewall file names itself and the way back', () => {
  fs.writeFileSync(path.join(dir, 'firewall.json'), '{"blocked": "all"}');
  expect(() => blockedEndpoints(labAt(dir))).toThrow(/firewall\.json cannot be read .*remove it/);
});
