// The Logger of the daemon and the executor: one line per event on stderr. Under systemd, stderr is a stream to journald,
// which reads a "<N>" syslog-priority prefix on each line (sd-daemon(3)), so `journalctl -p warning`
// and the red/bold colouring work; elsewhere each line carries an ISO timestamp and the level.
// A failing master or panel can produce the same error many times a second: after the first one,
// identical lines are counted and summarised once per window instead of flooding the journal.
import * as fs from 'fs';
import { Logger, LogLevel } from './logger';

export const LEVELS: readonly LogLevel[] = ['error', 'warn', 'notice', 'info', 'debug'];

/** syslog(3) priorities: LOG_ERR=3 … LOG_DEBUG=7. */
const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };

export interface LogSink {
  write(text: string): unknown;
}

export interface DaemonLoggerOptions {
  level: LogLevel;
  /** Where lines go (default process.stderr). */
  out?: LogSink;
  /** Prefix lines with <N> for journald (default: detected with journalStreamMatches on fd 2). */
  journal?: boolean;
  /** Identical error/warn lines within this window are counted, not written (default 60 s). */
  repeatWindowMs?: number;
  now?: () => Date;
}

/**
 * True when JOURNAL_STREAM names the device and inode of `fd`: systemd sets it when it connects
 * stdout/stderr to journald, and comparing it with fstat tells whether the descriptor is still
 * that stream or was redirected (e.g. `pi-mesos 2>log` run from a unit's shell script).
 */
export function journalStreamMatches(env: NodeJS.ProcessEnv, fd = 2): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]) && st.ino === BigInt(m[2]);
  } catch {
    return false;
  }
}

interface Repeat {
  level: LogLevel;
  line: string;
  firstAt: number;
  suppressed: number;
}

const MAX_TRACKED = 200;

export class DaemonLogger implements Logger {
  private level: LogLevel;
  private readonly out: LogSink;
  private readonly journal: boolean;
  private readonly windowMs: number;
  private readonly now: () => Date;
  private readonly repeats = new Map<string, Repeat>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(opts: DaemonLoggerOptions) {
    this.level = opts.level;
    this.out = opts.out ?? process.stderr;
    this.journal = opts.journal ?? journalStreamMatches(process.env, 2);
    this.windowMs = opts.repeatWindowMs ?? 60_000;
    this.now = opts.now ?? (() => new Date());
  }

  get journald(): boolean { return this.journal; }

  /** For SIGHUP reloads. */
  setLevel(level: LogLevel): void { this.level = level; }

  enabled(level: LogLevel): boolean {
    return PRIORITY[level] <= PRIORITY[this.level];
  }

  error(msg: string, err?: unknown): void {
    const written = this.limited('error', err === undefined ? msg : `${msg}: ${describeError(err)}`);
    const stack = err instanceof Error ? err.stack : undefined;
    if (written && stack && this.enabled('debug')) this.write('debug', stack);
  }

  /** An error that ends the process: always with its stack, never rate-limited. */
  fatal(msg: string, err?: unknown): void {
    const stack = err instanceof Error && err.stack ? err.stack : err === undefined ? '' : describeError(err);
    this.write('error', stack ? `${msg}: ${stack}` : msg);
  }

  warn(msg: string): void { this.limited('warn', msg); }
  notice(msg: string): void { this.write('notice', msg); }
  info(msg: string): void { this.write('info', msg); }
  debug(msg: string): void { this.write('debug', msg); }

  /** Writes the pending "(repeated N times)" summaries and stops the timer: call before exit. */
  close(): void {
    this.flushRepeats(Number.POSITIVE_INFINITY);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /** Writes the line unless it repeats within the window; returns whether it was written. */
  private limited(level: LogLevel, line: string): boolean {
    if (!this.enabled(level)) return false;
    const key = `${level}\u0000${line}`;
    const t = this.now().getTime();
    const seen = this.repeats.get(key);
    if (seen && t - seen.firstAt < this.windowMs) {
      seen.suppressed++;
      this.armFlush();
      return false;
    }
    if (seen) this.emitSummary(seen);
    this.repeats.delete(key);
    if (this.repeats.size >= MAX_TRACKED) this.evictOldest();
    this.repeats.set(key, { level, line, firstAt: t, suppressed: 0 });
    this.write(level, line);
    return true;
  }

  private evictOldest(): void {
    const oldest = this.repeats.keys().next();
    if (oldest.done) return;
    const r = this.repeats.get(oldest.value)!;
    this.emitSummary(r);
    this.repeats.delete(oldest.value);
  }

  private emitSummary(r: Repeat): void {
    if (r.suppressed > 0) {
      this.write(r.level, `${r.line} (repeated ${r.suppressed} ${r.suppressed === 1 ? 'time' : 'times'})`);
      r.suppressed = 0;
    }
  }

  /** Summarises and forgets every entry whose window has ended by `t`. */
  private flushRepeats(t: number): void {
    for (const [key, r] of this.repeats) {
      if (t - r.firstAt >= this.windowMs) {
        this.emitSummary(r);
        this.repeats.delete(key);
      }
    }
  }

  private armFlush(): void {
    if (this.flushTimer) return;
    // The summary must appear even if the error never happens again; unref so a pending summary
    // never keeps the process alive (close() writes it on the way out).
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushRepeats(this.now().getTime());
      if ([...this.repeats.values()].some((r) => r.suppressed > 0)) this.armFlush();
    }, this.windowMs);
    this.flushTimer.unref();
  }

  private write(level: LogLevel, text: string): void {
    if (!this.enabled(level)) return;
    const lines = text.split('\n');
    let block: string;
    if (this.journal) {
      // journald reads the priority per line: continuation lines need their own prefix.
      const p = `<${PRIORITY[level]}>`;
      block = lines.map((l) => p + l).join('\n') + '\n';
    } else {
      const head = `${this.now().toISOString()} ${level.toUpperCase().padEnd(6)} `;
      block = head + lines.join('\n' + ' '.repeat(head.length)) + '\n';
    }
    try {
      this.out.write(block);
    } catch {
      // stderr gone (EPIPE): nothing sensible to do, and logging must never throw.
    }
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

export function parseLogLevel(text: string): LogLevel | null {
  return (LEVELS as readonly string[]).includes(text) ? (text as LogLevel) : null;
}

/**
 * Writes a reason the process is about to exit for, before (or without) a DaemonLogger: at err
 * priority ("<3>") when stderr is journald's stream, so `journalctl -p err` shows it, else as
 * "pi-mesos: <text>" for a shell.
 */
export function writeFatal(text: string, opts: { env?: NodeJS.ProcessEnv; out?: LogSink; journal?: boolean } = {}): void {
  const journal = opts.journal ?? journalStreamMatches(opts.env ?? process.env, 2);
  const lines = text.split('\n');
  const block = journal ? lines.map((l) => `<3>${l}`).join('\n') : `pi-mesos: ${lines.join('\n')}`;
  try {
    (opts.out ?? process.stderr).write(block + '\n');
  } catch {
    // stderr gone: nothing sensible left to do.
  }
}
