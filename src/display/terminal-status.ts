// `--display terminal`: the status redrawn in place on a TTY (cursor home, clear to end), only
// when the text changed and at most every refreshMs; on a pipe or journal, one plain line on
// change at most every lineMs, so a log is not flooded.
import { Display, DisplayModel } from './model';
import { Logger } from '../common/logger';
import { ansiStyle, statusLine, statusLines } from './status-text';

export interface TerminalStatusOptions {
  out: NodeJS.WritableStream;
  logger: Logger;
  /** Minimum time between redraws on a TTY. */
  refreshMs?: number;
  /** Minimum time between plain lines when out is not a TTY. */
  lineMs?: number;
}

const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_TO_END = '\x1b[J';

export class TerminalStatusDisplay implements Display {
  private readonly tty: boolean;
  private readonly minGapMs: number;
  private last = '';
  private lastAt = -Infinity;
  private pending: DisplayModel | null = null;
  private latest: DisplayModel | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: TerminalStatusOptions) {
    this.tty = (opts.out as { isTTY?: boolean }).isTTY === true;
    this.minGapMs = this.tty ? opts.refreshMs ?? 250 : opts.lineMs ?? 5000;
  }

  show(model: DisplayModel): void {
    if (this.closed) return;
    this.pending = model;
    this.latest = model;
    if (this.timer) return;
    const wait = this.lastAt + this.minGapMs - Date.now();
    if (wait <= 0) { this.flush(); return; }
    this.timer = setTimeout(() => { this.timer = null; this.flush(); }, wait);
    this.timer.unref();
  }

  private render(model: DisplayModel, state: 'running' | 'stopped'): string {
    if (!this.tty) return statusLine(model, state) + '\n';
    return HOME + statusLines(model, ansiStyle, state).map((l) => l + CLEAR_LINE_END).join('\n') + '\n' + CLEAR_TO_END;
  }

  private flush(): void {
    const model = this.pending;
    this.pending = null;
    if (!model) return;
    const text = this.render(model, 'running');
    if (text === this.last) return; // unchanged: nothing to write, and the rate budget is kept
    this.write(text);
  }

  private write(text: string): void {
    this.last = text;
    this.lastAt = Date.now();
    try {
      this.opts.out.write(text);
    } catch (err) {
      // A closed stdout must not take the framework down with it.
      this.opts.logger.debug(`terminal display: write failed: ${(err as Error).message}`);
    }
  }

  async close(final: 'stopped' | 'blank'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const model = this.latest;
    this.pending = null;
    if (final === 'blank') {
      if (this.tty) this.write(HOME + CLEAR_TO_END);
      return;
    }
    if (model) this.write(this.render(model, 'stopped'));
    else this.write(this.tty ? `${HOME}pi-mesos stopped${CLEAR_LINE_END}\n${CLEAR_TO_END}` : 'pi-mesos stopped\n');
  }

  async reopen(): Promise<void> {
    // Force a full redraw on the next model: the terminal may have been cleared.
    this.last = '';
  }
}
