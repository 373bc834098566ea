// A block of lines kept in place at the bottom of a terminal's output, for the terminal displays.
// It is redrawn relative to the cursor (up over its own rows), never from the top of the screen,
// so whatever scrolled past above it stays in the scrollback. Log lines written to the same
// terminal (the daemon logs to stderr) would land inside the block and be wiped by its next
// redraw: the block is erased before each one and drawn again under it.

const CLEAR_LINE_END = '\x1b[K';
const CLEAR_TO_END = '\x1b[J';
// Matches one CSI sequence (colours, cursor movement): no width on screen.
const CSI = /^\x1b\[[0-9;?]*[ -/]*[@-~]/;

interface TtyLike { isTTY?: boolean; columns?: number; rows?: number }

/** The terminal size of a stream, or null for a pipe or a file (nothing to fit then). */
export function terminalSize(stream: NodeJS.WritableStream): { columns: number; rows: number } | null {
  const s = stream as TtyLike;
  if (s.isTTY !== true || !(Number(s.columns) > 0) || !(Number(s.rows) > 0)) return null;
  return { columns: Number(s.columns), rows: Number(s.rows) };
}

/** Characters a line takes on screen, ANSI escape sequences excluded. */
export function visibleWidth(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length;) {
    const m = line[i] === '\x1b' ? CSI.exec(line.slice(i)) : null;
    if (m) { i += m[0].length; continue; }
    const cp = line.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    n++;
  }
  return n;
}

/**
 * The line cut to `width` characters on screen, escape sequences kept, and attributes reset after
 * a cut (a cut may fall inside a bold or underlined run). A line that fits is returned as it is.
 */
export function clipAnsi(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  let out = '';
  let n = 0;
  for (let i = 0; i < line.length;) {
    const m = line[i] === '\x1b' ? CSI.exec(line.slice(i)) : null;
    if (m) { out += m[0]; i += m[0].length; continue; }
    if (n === width) break;
    const cp = line.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    out += ch;
    i += ch.length;
    n++;
  }
  return out + '\x1b[0m';
}

export class InPlaceView {
  /** Rows the block takes on screen now; the cursor is at the start of the row below it. */
  private shown = 0;
  private lines: string[] = [];
  /** A log write ended mid-line: the block must start on a fresh line. */
  private midLine = false;
  private unhook: (() => void) | null = null;

  /**
   * `out` is the terminal the block goes to; `logs`, when it is a terminal too, is the stream
   * whose lines are kept out of the block (its write() is wrapped until release()).
   */
  constructor(private readonly out: NodeJS.WritableStream, logs?: NodeJS.WritableStream) {
    if (logs && logs !== out && (logs as TtyLike).isTTY === true) this.hook(logs);
  }

  /** Columns and rows of the terminal, or null when `out` is not one. */
  get size(): { columns: number; rows: number } | null { return terminalSize(this.out); }

  /**
   * Replaces the block with `lines`, each clipped to the terminal's width (a wrapped line would
   * throw the count of rows to move up off) and at most rows - 1 of them (the cursor cannot move
   * up into the scrollback). Returns false, writing nothing, when the block would not change.
   */
  draw(lines: string[]): boolean {
    const size = this.size;
    const fitted = (size ? lines.slice(0, Math.max(1, size.rows - 1)).map((l) => clipAnsi(l, size.columns)) : lines);
    if (this.shown > 0 && fitted.length === this.lines.length && fitted.every((l, i) => l === this.lines[i])) return false;
    this.lines = fitted;
    this.write(this.up() + this.body());
    return true;
  }

  /** Erases the block (the "blank" stop); the rows it took are free for what follows. */
  clear(): void {
    this.write(this.up() + CLEAR_TO_END);
    this.shown = 0;
    this.lines = [];
  }

  /** Makes the next draw() repaint even an unchanged block (the screen may have been cleared). */
  forget(): void { this.lines = []; }

  /** Leaves the block on screen as it is and stops wrapping the log stream. */
  release(): void {
    this.unhook?.();
    this.unhook = null;
  }

  private up(): string {
    if (this.shown > 0) return `\x1b[${this.shown}F`;
    const fresh = this.midLine ? '\n' : '\r';
    this.midLine = false;
    return fresh;
  }

  private body(): string {
    this.shown = this.lines.length;
    return this.lines.map((l) => l + CLEAR_LINE_END).join('\n') + '\n' + CLEAR_TO_END;
  }

  private write(text: string): void {
    this.out.write(text);
  }

  private hook(logs: NodeJS.WritableStream): void {
    const original = logs.write;
    let released = false;
    const wrapped = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      if (released) return (original as (...a: unknown[]) => boolean).call(logs, chunk, ...rest);
      if (this.shown > 0) {
        this.write(`\x1b[${this.shown}F${CLEAR_TO_END}`);
        this.shown = 0;
      }
      const ok = (original as (...a: unknown[]) => boolean).call(logs, chunk, ...rest);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      if (text.length > 0) this.midLine = !text.endsWith('\n');
      if (!this.midLine && this.lines.length > 0) this.write(this.body());
      return ok;
    }) as typeof logs.write;
    logs.write = wrapped;
    // A later view (a display replaced on SIGHUP) may have wrapped ours: then ours stays in the
    // chain, but only passes lines through.
    this.unhook = () => { released = true; if (logs.write === wrapped) logs.write = original; };
  }
}
