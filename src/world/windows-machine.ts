/**
 * The Windows machine a lab client is, as its logs name it: its OS and its folders. A CMTrace
 * log a student reads is a Windows machine's, so logs print these and never the host's (the
 * host's paths and platform are the terminal's).
 */

/**
 * The client's OS: Windows 11 Enterprise, version 23H2, OS build 22631 (Windows 11 release
 * information, learn.microsoft.com/windows/release-health/windows11-release-information), a
 * client OS the emulated client version supports. The name is WMI's caption form, as REAL's
 * `Running on 'Microsoft Windows Server 2012 R2 Standard'` prints it. SuiteMask and Product Type
 * are REAL's values: no published line shows what a Windows 11 client prints there.
 */
export const CLIENT_OS = {
  caption: 'Microsoft Windows 11 Enterprise',
  version: '10.0.22631',
  servicePack: '0.0',
  suiteMask: 272,
  productType: 18,
} as const;

/**
 * Where ccmsetup.exe is started from: the local folder of REAL (a workgroup machine given
 * ccmsetup.exe on its disk, as an internet client that reaches no site share is), which
 * ccmsetup then copies into CCMSETUP_DIR.
 */
export const LAUNCH_FOLDER = 'C:\\Install\\sccm client\\';

/** The installed client (%WinDir%\CCM) and its logs (%WinDir%\CCM\Logs, LOG-LINES.md). */
export const CLIENT_DIR = 'C:\\Windows\\CCM';
export const CLIENT_LOG_DIR = 'C:\\Windows\\CCM\\Logs';

/** `util.cpp:2075`'s line in REAL: `[NAME] Running on '<OS>' (<version>). Service Pack (…). SuiteMask = …. Product Type = …`. */
export function runningOnLine(netbios: string): string {
  const os = CLIENT_OS;
  return `[${netbios}] Running on '${os.caption}' (${os.version}). Service Pack (${os.servicePack}). SuiteMask = ${os.suiteMask}. Product Type = ${os.productType}`;
}

/**
 * The process id a log prints for the host process `pid`: Windows process ids are multiples of
 * 4 (REAL's 476 and 3324), host ids are not. Stable for the process, different per process.
 */
export function windowsProcessId(pid: number): number {
  return 4 * (1 + (pid % 16_000));
}
