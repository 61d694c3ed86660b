import * as fs from 'node:fs';
import * as path from 'node:path';
import { CcmlabError } from '../core/errors';
import { PRIVATE_DIR_MODE, SECRET_FILE_MODE, writeFileAtomic } from '../store/atomic-file';
import { refuseLinksBelow, removeFile, removeTree } from '../store/file-writes';
import { makeDirectory, readBoundedText, type FileRole } from '../store/files';
import { livePidIn, releasedAtExit, takePidLock } from '../store/pid-lock';
import { labAt, type Lab } from '../world/lab';

/**
 * A fleet directory: `fleet.json` (what the fleet is: how its clients are named, the lab whose
 * names, roots and clock they use, whether that lab is the fleet's own embedded one), the
 * journal, `clients/<NAME>/` and `logs/clients/<NAME>/` (and, for an embedded fleet, its site:
 * the fleet dir is then a lab root of its own). One run at a time works on it (`fleet.lock`).
 */

const FLEET_FILE = 'fleet.json';
const LOCK_FILE = 'fleet.lock';
const MAX_FLEET_FILE_BYTES = 16 * 1024;
const FLEET_FOLDER: FileRole = {
  label: 'fleet folder',
  code: 'CCMLAB_E_FLEET_DIR',
  fix: 'remove the link, or use another --fleet-dir',
};

export interface FleetRecord {
  schemaVersion: 1;
  namePattern: string;
  /** The lab root (absolute) whose names, roots and clock the clients use. */
  labRoot: string;
  /** True: the fleet dir is its own embedded lab, with its own site. */
  embedded: boolean;
  createdAt: string;
}

export type FleetWanted = Omit<FleetRecord, 'schemaVersion' | 'createdAt' | 'namePattern'> & {
  namePattern: string | undefined;
};

/** The fleet dir's layout: the lab layout rooted there. */
export function fleetLayout(dir: string): Lab {
  return labAt(path.resolve(dir));
}

/** Why a rerun may not continue the fleet recorded in the dir, if it may not (undefined: it may). */
export function fleetMismatch(existing: FleetRecord, wanted: FleetWanted): string | undefined {
  if (wanted.namePattern !== undefined && wanted.namePattern !== existing.namePattern) {
    return `names its clients '${existing.namePattern}', not '${wanted.namePattern}'; leave out --name-pattern to continue it`;
  }
  if (existing.embedded !== wanted.embedded) {
    return existing.embedded
      ? 'was enrolled against its own embedded lab, not a running site; leave out --lab and CCMLAB_LAB to continue it'
      : `was enrolled against the site of the lab ${existing.labRoot}, not an embedded lab; start that lab's site and give --lab ${existing.labRoot} to continue it`;
  }
  if (!existing.embedded && existing.labRoot !== wanted.labRoot)
    return `belongs to the lab ${existing.labRoot}, not ${wanted.labRoot}; give --lab ${existing.labRoot}`;
  return undefined;
}

function parseFleet(file: string, text: string): FleetRecord {
  let value: Partial<FleetRecord> | undefined;
  try {
    value = JSON.parse(text) as Partial<FleetRecord>;
  } catch {
    value = undefined;
  }
  if (
    value?.schemaVersion !== 1 ||
    typeof value.namePattern !== 'string' ||
    typeof value.labRoot !== 'string' ||
    typeof value.embedded !== 'boolean'
  ) {
    throw new CcmlabError(
      'CCMLAB_E_FLEET_DIR',
      `${file} is not a fleet file this ccmlab knows; enroll into another --fleet-dir`,
    );
  }
  return value as FleetRecord;
}

/** The fleet recorded in `dir`, or undefined when there is none yet. */
function readFleet(dir: string): FleetRecord | undefined {
  const file = path.join(dir, FLEET_FILE);
  if (!fs.existsSync(file)) return undefined;
  return parseFleet(
    file,
    readBoundedText(
      file,
      MAX_FLEET_FILE_BYTES,
      { label: 'fleet file', code: 'CCMLAB_E_FLEET_DIR', fix: 'enroll into another --fleet-dir' },
      { follow: false },
    ),
  );
}

export function requireFleet(dir: string): FleetRecord {
  const fleet = readFleet(dir);
  if (!fleet)
    throw new CcmlabError(
      'CCMLAB_E_FLEET_DIR',
      `${path.resolve(dir)} holds no fleet (no ${FLEET_FILE}); enroll one with 'ccmlab fleet enroll --count N --fleet-dir ${dir}'`,
    );
  return fleet;
}

/** Makes the fleet dir (0700) if it is not there, so that it can be locked; returns the first directory it made, if any. */
export function makeFleetDir(dir: string): string | undefined {
  return makeDirectory(
    dir,
    {
      label: 'fleet directory',
      code: 'CCMLAB_E_STATE_WRITE',
      fix: 'give a --fleet-dir that can be created and written to',
    },
    PRIVATE_DIR_MODE,
  );
}

/**
 * The fleet to enroll into `dir` (locked): the one recorded there, if this run may continue it,
 * or a new one, which `record` writes once every other check of the run has passed (a refused
 * run leaves no fleet behind).
 */
export function openFleet(
  dir: string,
  wanted: FleetWanted,
  defaultPattern: string,
  now: Date,
): { fleet: FleetRecord; record: () => void } {
  const existing = readFleet(dir);
  if (existing) {
    const why = fleetMismatch(existing, wanted);
    if (why)
      throw new CcmlabError(
        'CCMLAB_E_FLEET_DIR',
        `the fleet in ${path.resolve(dir)} ${why}; or enroll into another --fleet-dir`,
      );
    return { fleet: existing, record: () => undefined };
  }
  if (fs.readdirSync(dir).some((entry) => entry !== LOCK_FILE)) {
    throw new CcmlabError(
      'CCMLAB_E_FLEET_DIR',
      `${path.resolve(dir)} is not empty and holds no fleet (no ${FLEET_FILE}); give an empty or new --fleet-dir`,
    );
  }
  const fleet: FleetRecord = {
    schemaVersion: 1,
    namePattern: wanted.namePattern ?? defaultPattern,
    labRoot: wanted.labRoot,
    embedded: wanted.embedded,
    createdAt: now.toISOString(),
  };
  return {
    fleet,
    record: () =>
      writeFileAtomic(
        path.join(dir, FLEET_FILE),
        `${JSON.stringify(fleet, null, 2)}\n`,
        SECRET_FILE_MODE,
        PRIVATE_DIR_MODE,
      ),
  };
}

/** One run at a time on a fleet dir; a lock whose process is gone is taken over. Returns the release. */
export function lockFleet(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  takePidLock(file, {
    holder: () =>
      livePidIn(file, {
        label: 'fleet lock',
        code: 'CCMLAB_E_FLEET_DIR',
        fix: 'remove it if no fleet command is running',
      }),
    held: (pid) =>
      new CcmlabError(
        'CCMLAB_E_FLEET_RUNNING',
        `another fleet command (process ${pid}) is working on ${path.resolve(dir)}; wait for it to finish`,
      ),
    contended: () =>
      new CcmlabError('CCMLAB_E_FLEET_RUNNING', `another fleet command keeps taking the lock on ${path.resolve(dir)}`),
    cannotMake: (error) =>
      new CcmlabError(
        'CCMLAB_E_STATE_WRITE',
        `the fleet lock ${file} cannot be made (${(error as NodeJS.ErrnoException).code ?? String(error)}); make the fleet dir writable`,
        { cause: error },
      ),
  });
  return releasedAtExit(() => removeFile(file, FLEET_FOLDER));
}

/**
 * Refuses links in the fleet dir where the fleet writes and removes: clients/, logs/clients/
 * and the embedded site's folders. A link planted there would take writes, and `--logs
 * failures` removals, outside the fleet.
 */
export function refuseFleetLinks(layout: Lab): void {
  const folders = [
    path.dirname(layout.clientDir('X')),
    path.dirname(layout.clientLogDir('X')),
    layout.siteDir,
    layout.siteLogDir,
  ];
  for (const folder of folders) refuseLinksBelow(layout.root, folder, FLEET_FOLDER);
}

/** refuseFleetLinks for one client's own folders (its state, its logs). */
export function refuseClientLinks(layout: Lab, name: string): void {
  for (const folder of [layout.clientDir(name), layout.clientLogDir(name)])
    refuseLinksBelow(layout.root, folder, FLEET_FOLDER);
}

/** A client's log folder, removed (`--logs failures` after a success): never through a link, never outside the fleet. */
export function removeClientLogs(layout: Lab, name: string): void {
  removeTree(layout.clientLogDir(name), FLEET_FOLDER, layout.root);
}

/** The names of the fleet's client dirs, one directory entry at a time (a fleet may have many thousands). */
export function* clientNames(layout: Lab): Generator<string> {
  let handle: fs.Dir;
  try {
    handle = fs.opendirSync(path.dirname(layout.clientDir('X')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    for (let entry = handle.readSync(); entry; entry = handle.readSync()) if (entry.isDirectory()) yield entry.name;
  } finally {
    handle.closeSync();
  }
}
