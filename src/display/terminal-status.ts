// `--display terminal`: the status redrawn in place on a TTY (only when the text changed and at
// most every refreshMs), with the daemon's log lines kept above it; on a pipe or journal, one
// plain line on change at most every lineMs, so a log is not flooded.
import { Display, DisplayModel } from './model';
import { Logger } from '../common/logger';
import { RateSmoother } from './format';
import { ansiStyle, statusLine, statusLines } from './status-text';
import { InPlaceView } from './terminal-view';

export interface TerminalStatusOptions {
  out: NodeJS.WritableStream;
  logger: Logger;
  /**
   * Where the daemon's log lines go (default process.stderr when out is process.stdout). When it
   * is a terminal too, each line is written above the status instead of into it.
   */
  logs?: NodeJS.WritableStream;
  /** Minimum time between redraws on a TTY. */
  refreshMs?: number;
  /** Minimum time between plain lines when out is not a TTY. */
  lineMs?: number;
  /** Clock in ms for smoothing the rate (default Date.now). */
  now?: () => number;
}

export class TerminalStatusDisplay implements Display {
  private readonly tty: boolean;
  private readonly minGapMs: number;
  private readonly view: InPlaceView | null;
  private readonly rate = new RateSmoother();
  private last = '';
  private lastAt = -Infinity;
  private pending: DisplayModel | null = null;
  private latest: DisplayModel | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: TerminalStatusOptions) {
    this.tty = (opts.out as { isTTY?: boolean }).isTTY === true;
    this.minGapMs = this.tty ? opts.refreshMs ?? 250 : opts.lineMs ?? 5000;
    const logs = opts.logs ?? (opts.out === process.stdout ? process.stderr : undefined);
    this.view = this.tty ? new InPlaceView(opts.out, logs) : null;
  }

  show(model: DisplayModel): void {
    if (this.closed) return;
    const smoothed = this.smooth(model);
    this.pending = smoothed;
    this.latest = smoothed;
    if (this.timer) return;
    const wait = this.lastAt + this.minGapMs - Date.now();
    if (wait <= 0) { this.flush(); return; }
    this.timer = setTimeout(() => { this.timer = null; this.flush(); }, wait);
    this.timer.unref();
  }

  /**
   * The model with its rate smoothed, and the ETA scaled to match: the ETA is the remaining terms
   * over the raw rate, so remaining = eta × raw, and at the smoothed rate it is eta × raw / smoothed.
   */
  private smooth(model: DisplayModel): DisplayModel {
    const raw = model.pi.termsPerSecond;
    const rate = this.rate.next(raw, (this.opts.now ?? Date.now)());
    const eta = model.pi.nextDigitEtaSeconds;
    const scaled = eta !== null && raw > 0 && rate > 0 ? eta * raw / rate : eta;
    return { ...model, pi: { ...model.pi, termsPerSecond: rate, nextDigitEtaSeconds: scaled } };
  }

  private flush(): void {
    const model = this.pending;
    this.pending = null;
    if (!model) return;
    this.render(model, 'running');
  }

  private render(model: DisplayModel, state: 'running' | 'stopped'): void {
    if (this.view) {
      this.guard(() => { if (this.view!.draw(statusLines(model, ansiStyle, state))) this.lastAt = Date.now(); });
      return;
    }
    const text = statusLine(model, state) + '\n';
    if (text === this.last) return; // unchanged: nothing to write, and the rate budget is kept
    this.last = text;
    this.lastAt = Date.now();
    this.guard(() => this.opts.out.write(text));
  }

  private guard(write: () => void): void {
    try {
      write();
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
      if (this.view) this.guard(() => this.view!.clear());
    } else if (model) {
      this.render(model, 'stopped');
    } else if (this.view) {
      this.guard(() => this.view!.draw(['pi-mesos stopped']));
    } else {
      this.guard(() => this.opts.out.write('pi-mesos stopped\n'));
    }
    this.view?.release();
  }

  async reopen(): Promise<void> {
    // Force a full redraw on the next model: the terminal may have been cleared.
    this.last = '';
    this.view?.forget();
  }
}
