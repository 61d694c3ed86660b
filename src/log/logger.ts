import * as path from 'node:path';
import type * as winston from 'winston';
import type { Clock } from '../core/clock';
import { onFirstUse } from '../core/on-first-use';
import { makeDirectory } from '../store/files';
import type { CmTraceType } from './cmtrace-format';
import type { CmTraceFileTransport, CmTraceInfo } from './cmtrace-transport';
import type { RolloverStyle } from './log-files';
import type { CcmLogLevel, LogSettings } from './log-settings';
import { logClosed, logOpened } from './open-logs';

export {
  CLIENT_LOG_DEFAULTS,
  MIN_LOG_SIZE,
  SITE_LOG_DEFAULTS,
  type CcmLogLevel,
  type LogSettings,
} from './log-settings';

/**
 * One CMTrace log file behind a winston logger. Client logs follow the client.msi
 * logging properties (log-settings.ts); site logs roll over to `X.lo_`.
 */

type Level = 'error' | 'warn' | 'info' | 'verbose' | 'debug';

const WINSTON_LEVEL: Record<CcmLogLevel, Level> = { 0: 'verbose', 1: 'info', 2: 'warn', 3: 'error' };
/** Those of winston's npm levels (winston.config.npm.levels) a CmLog writes, with their values there. */
const LEVELS: Readonly<Record<Level, number>> = { error: 0, warn: 1, info: 2, verbose: 4, debug: 5 };
const TYPE_BY_LEVEL: Partial<Record<Level, CmTraceType>> = { error: 3, warn: 2 };
/** winston's own key for an info object's level (triple-beam's LEVEL): set here, it is not added to each line's object later. */
const LEVEL = Symbol.for('level');

export interface LogOptions {
  dir: string;
  /** Base name and component: `ClientLocation`. */
  name: string;
  rollover: RolloverStyle;
  settings: LogSettings;
  clock: Clock;
  /** Default `file` attribute, the emulated source module. */
  source: string;
  thread?: number;
}

/**
 * The thread a component's lines carry. On Windows each component logs from threads of its
 * own (ids are multiples of 4), not the process id: each log gets a thread of this process,
 * stable for its life, different per component.
 */
const threads = new Map<string, number>();
const THREAD_BASE = 1024 + ((process.pid * 52) % 16_384);

export function threadOf(component: string): number {
  let thread = threads.get(component);
  if (thread === undefined) {
    thread = THREAD_BASE + threads.size * 148;
    threads.set(component, thread);
  }
  return thread;
}

/**
 * winston and the transport, loaded when the first log that is written opens: a command that
 * writes no log (a status, a usage) does not load winston. The transport writes the CMTrace
 * line itself: winston's default format (JSON of every info object, which no transport here
 * reads) would cost more than formatting the line, so lines pass through.
 */
const logging = onFirstUse(() => {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded when a log is opened, not when its module is */
  const winstonModule = require('winston') as typeof winston;
  const transport = require('./cmtrace-transport') as typeof import('./cmtrace-transport');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { winston: winstonModule, transport, passThrough: winstonModule.format((info) => info)() };
});

/** What a message's shape leaves out; without a URL in it, the same minus the URL pattern, which costs most. */
const VALUES_AND_URLS = /'[^']*'|\{[^}]*\}|\[[^\]]*\]|<[^>]*>|\S*:\/\/\S*|GUID:\S*|\d+/g;
const VALUES = /'[^']*'|\{[^}]*\}|\[[^\]]*\]|<[^>]*>|GUID:\S*|\d+/g;

/**
 * The `file` attribute as real builds write it, `module.cpp:line`. Where the real value is
 * published the caller gives it whole; otherwise the line number is ccmlab's: a stable
 * number per message shape (values such as GUIDs, numbers and quoted or bracketed text left
 * out), so the same line always names the same place, as it does in a real build.
 */
export function sourceAttribute(source: string, message: string): string {
  if (/:\d+$/.test(source)) return source;
  const head = message.slice(0, 80);
  const shape = head.replace(head.includes('://') ? VALUES_AND_URLS : VALUES, '#');
  let hash = 0x811c9dc5;
  for (let i = 0; i < shape.length; i++) hash = Math.imul(hash ^ shape.charCodeAt(i), 0x01000193) >>> 0;
  return `${source}:${100 + (hash % 11_900)}`;
}

export class CmLog {
  readonly name: string;
  readonly path: string;
  private readonly logger: winston.Logger | undefined;
  private readonly transport: CmTraceFileTransport | undefined;
  private readonly options: LogOptions;
  private thread: number | undefined;
  /** winston's value of the log's level: lines above it are dropped here, as winston would drop them after its pipeline. */
  private readonly maxLevel: number;
  private closing: Promise<void> | undefined;

  constructor(options: LogOptions) {
    this.options = options;
    this.name = options.name;
    this.path = path.join(options.dir, `${options.name}.log`);
    const level = options.settings.debug ? 'debug' : WINSTON_LEVEL[options.settings.level];
    this.maxLevel = LEVELS[level];
    if (!options.settings.enabled) return;
    const { winston, transport, passThrough } = logging();
    // A log that cannot be written is refused before anything happens, not at its first line.
    makeDirectory(options.dir, transport.LOG_DIR_ROLE);
    transport.checkLogFile(this.path);
    this.transport = new transport.CmTraceFileTransport({
      dir: options.dir,
      name: options.name,
      rollover: options.rollover,
      maxSize: options.settings.maxSize,
      maxHistory: options.settings.maxHistory,
      clock: options.clock,
    });
    this.logger = winston.createLogger({
      level,
      levels: winston.config.npm.levels,
      format: passThrough,
      exitOnError: false,
      transports: [this.transport],
    });
    logOpened(this);
  }

  error(message: string, source?: string): void {
    this.write('error', message, source);
  }
  warn(message: string, source?: string): void {
    this.write('warn', message, source);
  }
  info(message: string, source?: string): void {
    this.write('info', message, source);
  }
  verbose(message: string, source?: string): void {
    this.write('verbose', message, source);
  }
  debug(message: string, source?: string): void {
    this.write('debug', message, source);
  }

  /** Ends the logger and closes the file once every line is written. */
  close(): Promise<void> {
    if (!this.logger || !this.transport) return Promise.resolve();
    const { logger, transport } = this;
    this.closing ??= new Promise<void>((resolve) => {
      logger.on('finish', () => {
        transport.close();
        logClosed(this);
        resolve();
      });
      logger.end();
    });
    return this.closing;
  }

  /** Throws the transport's write failure (CCMLAB_E_LOG_WRITE, CCMLAB_E_LOG_DIR): a log line is never lost silently. */
  private write(level: Level, message: string, source: string | undefined): void {
    if (!this.logger || !this.transport || this.closing || LEVELS[level] > this.maxLevel) return;
    const info: CmTraceInfo & { [LEVEL]: Level } = {
      level,
      [LEVEL]: level,
      message,
      component: this.options.name,
      type: TYPE_BY_LEVEL[level] ?? 1,
      // At the first line, as components take their threads in the order they first log.
      thread: (this.thread ??= this.options.thread ?? threadOf(this.options.name)),
      file: sourceAttribute(source ?? this.options.source, message),
      time: this.options.clock.now(),
    };
    this.logger.log(info);
    if (this.transport.failure) throw this.transport.failure;
  }
}
