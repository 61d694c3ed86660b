import type { Clock } from '../core/clock';
import { CmLog, type LogSettings } from '../log/logger';

/** The client agent's logs, governed by the client.msi logging properties. */
export interface ClientLogs {
  idManager: CmLog;
  location: CmLog;
  locationServices: CmLog;
  messaging: CmLog;
}

/** All four, or none: a log refused (a link or a pipe in its place) closes those opened before it. */
export function openClientLogs(dir: string, settings: LogSettings, clock: Clock): ClientLogs {
  const opened: CmLog[] = [];
  const open = (name: string, source: string) => {
    const log = new CmLog({ dir, name, rollover: 'history', settings, clock, source });
    opened.push(log);
    return log;
  };
  try {
    return {
      idManager: open('ClientIDManagerStartup', 'regtask.cpp'),
      location: open('ClientLocation', 'lsad.cpp'),
      locationServices: open('LocationServices', 'lsad.cpp'),
      messaging: open('CcmMessaging', 'ccmhttp.cpp'),
    };
  } catch (error) {
    // Nothing was written to them: closing ends their winston streams, it writes no file.
    for (const log of opened) void log.close();
    throw error;
  }
}

export async function closeClientLogs(logs: ClientLogs): Promise<void> {
  await Promise.all(Object.values(logs).map((log: CmLog) => log.close()));
}

/** The line the source article shows, byte for byte (the space in `SchemaVersion ="1.0"` included). */
export function rotationLine(internetMp: string): string {
  return `Rotating internet management point, new management point [1] is: ${internetMp} (0) with capabilities: <Capabilities SchemaVersion ="1.0"><Property Name="SSL" Version="1" /></Capabilities>`;
}
