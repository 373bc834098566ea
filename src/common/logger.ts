// The one logging contract every module shares, so that no module below daemon/ needs to know
// how lines reach the journal. Levels follow syslog priorities (err=3 … debug=7).
export type LogLevel = 'error' | 'warn' | 'notice' | 'info' | 'debug';

export interface Logger {
  error(msg: string, err?: unknown): void;
  warn(msg: string): void;
  notice(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

export const silentLogger: Logger = {
  error() {},
  warn() {},
  notice() {},
  info() {},
  debug() {},
};

/** A logger that records lines, for tests that assert on what was logged. */
export class MemoryLogger implements Logger {
  readonly lines: { level: LogLevel; msg: string }[] = [];
  error(msg: string, err?: unknown): void {
    this.lines.push({ level: 'error', msg: err instanceof Error ? `${msg}: ${err.message}` : msg });
  }
  warn(msg: string): void { this.lines.push({ level: 'warn', msg }); }
  notice(msg: string): void { this.lines.push({ level: 'notice', msg }); }
  info(msg: string): void { this.lines.push({ level: 'info', msg }); }
  debug(msg: string): void { this.lines.push({ level: 'debug', msg }); }
  has(level: LogLevel, pattern: RegExp): boolean {
    return this.lines.some((l) => l.level === level && pattern.test(l.msg));
  }
}
