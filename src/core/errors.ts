/**
 * Every error ccmlab reports, with a stable code, its exit code and, where the real
 * product would log one, the HRESULT that ends ccmsetup.log ("CcmSetup failed with
 * error code 0x%08X"). Messages are written at the throw site: one line that says what
 * was wrong and how to fix it.
 */

const E_INVALIDARG = 0x80070057;
const E_FAIL = 0x80004005;

interface ErrorDef {
  /** Exit code of the ccmlab tools; ccmsetup maps everything that is not one of its own codes to 6. */
  readonly exit: number;
  readonly hresult: number;
}

export const ERRORS = {
  // Command lines (any tool)
  CCMLAB_E_USAGE: { exit: 2, hresult: E_INVALIDARG },
  CCMLAB_E_BAD_NOW: { exit: 2, hresult: E_INVALIDARG },
  CCMLAB_E_BAD_OPTION: { exit: 2, hresult: E_INVALIDARG },
  // Files the user names
  CCMLAB_E_FILE_NOT_FOUND: { exit: 1, hresult: 0x80070002 },
  CCMLAB_E_FILE_UNREADABLE: { exit: 1, hresult: E_FAIL },
  CCMLAB_E_INTERNAL: { exit: 1, hresult: E_FAIL },
  // A command ended early: Ctrl+C or SIGTERM (128 + SIGINT, as shells report it; ERROR_CANCELLED), a reader gone from its output (ERROR_BROKEN_PIPE)
  CCMLAB_E_CANCELLED: { exit: 130, hresult: 0x800704c7 },
  CCMLAB_E_OUTPUT_CLOSED: { exit: 1, hresult: 0x8007006d },
  // The scenario catalogue (catalogue/scenarios, catalogue/signatures)
  CCMLAB_E_CATALOGUE: { exit: 1, hresult: 0x8007000d },
  // Logs and state ccmlab writes (ccmsetup exits 6 with these)
  CCMLAB_E_LOG_DIR: { exit: 1, hresult: 0x80070003 },
  CCMLAB_E_LOG_WRITE: { exit: 1, hresult: 0x8007001d },
  CCMLAB_E_STATE_WRITE: { exit: 1, hresult: 0x8007001d },

  // The site directory and its state
  CCMLAB_E_SITE_NOT_FOUND: { exit: 1, hresult: 0x80070003 },
  CCMLAB_E_NOT_A_SITE: { exit: 1, hresult: E_FAIL },
  CCMLAB_E_SITE_EXISTS: { exit: 1, hresult: 0x800700b7 },
  CCMLAB_E_SITE_CORRUPT: { exit: 1, hresult: E_FAIL },
  CCMLAB_E_SITE_KEY_MISMATCH: { exit: 1, hresult: 0x80090003 },
  CCMLAB_E_LAB_CORRUPT: { exit: 1, hresult: E_FAIL },
  // Scenarios: a catalogue entry that cannot be used, an unknown name, an output folder that is not ours
  CCMLAB_E_SCENARIO: { exit: 1, hresult: E_FAIL },
  CCMLAB_E_UNKNOWN_SCENARIO: { exit: 2, hresult: E_INVALIDARG },
  CCMLAB_E_SCENARIO_DIR: { exit: 1, hresult: 0x800700b7 },
  CCMLAB_E_SITE_RUNNING: { exit: 1, hresult: 0x800700aa },
  CCMLAB_E_BAD_GUID: { exit: 2, hresult: E_INVALIDARG },
  CCMLAB_E_TOKEN_NOT_FOUND: { exit: 1, hresult: 0x80070490 },
  CCMLAB_E_CLIENT_NOT_FOUND: { exit: 1, hresult: 0x80070490 },
  CCMLAB_E_LISTEN: { exit: 1, hresult: E_FAIL },
  // The fleet: its directory and journal, another run on it, the key cache
  CCMLAB_E_FLEET_DIR: { exit: 1, hresult: E_FAIL },
  CCMLAB_E_FLEET_RUNNING: { exit: 1, hresult: 0x800700aa },
  CCMLAB_E_KEY_CACHE: { exit: 1, hresult: E_FAIL },
  CCMLAB_E_KEY_CACHE_EMPTY: { exit: 1, hresult: 0x80090016 },

  // BulkRegistrationTokenTool
  BRTT_E_USAGE: { exit: 2, hresult: E_INVALIDARG },
  BRTT_E_BAD_LIFETIME: { exit: 2, hresult: E_INVALIDARG },
  BRTT_E_PASSIVE_SITE: { exit: 1, hresult: E_FAIL },

  // ccmsetup command line (ccmsetup's documented return code 6: error)
  CCMSETUP_E_UNKNOWN_SWITCH: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_SWITCH_VALUE: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_DUPLICATE_SWITCH: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_ARGUMENT: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_PROPERTY_VALUE: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_MP: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_CCMHOSTNAME: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_SITECODE: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_AUTO_WITH_CCMHOSTNAME: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_REGTOKEN: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_REGTOKEN_WITHOUT_CMG: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_NO_MP: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_BAD_CONFIG_FILE: { exit: 6, hresult: E_INVALIDARG },
  CCMSETUP_E_NOT_EMULATED: { exit: 6, hresult: 0x80004001 },
  CCMSETUP_E_ALREADY_RUNNING: { exit: 8, hresult: 0x800700b7 },
  CCMSETUP_E_BAD_CA_FILE: { exit: 6, hresult: 0x80092002 },
  CCMSETUP_E_NO_CLIENT: { exit: 6, hresult: 0x80070002 },

  // The client talking to the site (ccmsetup exits 6 with these; ccmlab client exits 1)
  CCMCLIENT_E_CANNOT_CONNECT: { exit: 1, hresult: 0x80072efd },
  CCMCLIENT_E_NAME_NOT_RESOLVED: { exit: 1, hresult: 0x80072ee7 },
  CCMCLIENT_E_TIMEOUT: { exit: 1, hresult: 0x80072ee2 },
  CCMCLIENT_E_PROTOCOL: { exit: 1, hresult: 0x80072f78 },
  CCMCLIENT_E_SECURE_FAILURE: { exit: 1, hresult: 0x80072f8f },
  CCMCLIENT_E_BAD_HTTP_STATUS: { exit: 1, hresult: 0x87d00231 },
  CCMCLIENT_E_BAD_REPLY: { exit: 1, hresult: 0x8007000d },
  CCMCLIENT_E_REGISTRATION: { exit: 1, hresult: 0x87d00215 },
  CCMCLIENT_E_TOKEN_EXPIRED: { exit: 1, hresult: 0x87d00295 },
  CCMCLIENT_E_NO_STATE: { exit: 1, hresult: 0x80070002 },
  CCMCLIENT_E_NOT_ASSIGNED: { exit: 1, hresult: 0x80004005 },
  CCMCLIENT_E_CORRUPT_STATE: { exit: 1, hresult: 0x8007000d },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export class CcmlabError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hresult: number;
  /** Extra machine-readable facts for --json output (never secrets). */
  readonly details: Record<string, unknown> | undefined;
  /**
   * The failure as a CMTrace log states it: what went wrong, in the product's words and the
   * emulated machine's Windows paths. `message` is the terminal's, with the fix (commands,
   * emulator options, host paths); a log never carries those. Undefined: the log names the
   * failure by its HRESULT alone (the exit line), as for the emulator's own failures.
   */
  readonly logText: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown>; logText?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CcmlabError';
    this.code = code;
    this.exitCode = ERRORS[code].exit;
    this.hresult = ERRORS[code].hresult;
    this.details = options.details;
    this.logText = options.logText;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      exitCode: this.exitCode,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** A failure the terminal and the log state alike: what went wrong, with no fix, command, option or host path to keep from the log. */
export function statedError(code: ErrorCode, what: string): CcmlabError {
  return new CcmlabError(code, what, { logText: what });
}

export function isCcmlabError(value: unknown): value is CcmlabError {
  return value instanceof CcmlabError;
}

/** `0x80070057` form, as ccmsetup.log prints HRESULTs. */
export function formatHresult(hresult: number): `0x${string}` {
  return `0x${(hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** What a log states for any failure: its logText, else its HRESULT (`error 0x80004005`); never the terminal's message. */
export function logTextOf(error: unknown): string {
  const failure = toCcmlabError(error);
  return failure.logText ?? `error ${formatHresult(failure.hresult)}`;
}

/** Any error as one of ours: an unexpected one is CCMLAB_E_INTERNAL, with the original kept as its cause. */
export function toCcmlabError(error: unknown): CcmlabError {
  if (isCcmlabError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CcmlabError(
    'CCMLAB_E_INTERNAL',
    `internal error: ${message} (run again with CCMLAB_DEBUG=1 for details, and report it)`,
    {
      cause: error,
    },
  );
}
