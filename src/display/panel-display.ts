// The loop every panel shares: keep the latest model, render the current page at a capped rate,
// hand the frame to the driver, and survive whatever the bus does. show() only records the model
// and arms a timer, so the framework never waits on the display; one draw is in flight at most,
// and models arriving meanwhile collapse into the next frame.
import { Logger } from '../common/logger';
import { faultHint } from './bus';
import { DimSchedule, isDim } from './dim';
import { Display, DisplayModel } from './model';
import { Frame, renderPage } from './screens';
import { PageName, PanelSize } from './spec';

export interface PanelDriver {
  /** For log lines: "ssd1306 at 0x3c on /dev/i2c-1". */
  readonly description: string;
  readonly size: PanelSize;
  readonly busNumber: number;
  readonly address: number;
  /** OLEDs shift the image a pixel every few minutes; LCDs and files need not. */
  readonly burnInShift: boolean;
  /** (Re)open the bus and initialise the controller; afterwards nothing is assumed on the glass. */
  init(): Promise<void>;
  /** Put the frame on the glass, sending only what differs from what is known to be there. */
  draw(frame: Frame): Promise<void>;
  setDim(dim: boolean): Promise<void>;
  /** Switch the glass dark (the "blank" stop). */
  blank(): Promise<void>;
  /** Release the bus. */
  close(): Promise<void>;
  /** What to check for an error code, when the bus hints do not apply. */
  faultHint?(code: string): string;
  /** How many refreshStep() calls rewrite the whole controller state once. */
  readonly refreshSteps?: number;
  /**
   * Re-sends one share of the controller's state (its configuration and a slice of the picture)
   * without reading anything back: the only way to notice a panel that lost power and came back in
   * its reset state while no write failed. Rejects like draw() on a bus fault.
   */
  refreshStep?(): Promise<void>;
}

export interface PanelDisplayOptions {
  logger: Logger;
  pages: PageName[];
  pageIntervalMs?: number;
  dim?: DimSchedule | null;
  /** Minimum time between frames. */
  refreshMs?: number;
  /** First retry delay after a fault; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  shiftIntervalMs?: number;
  /** How often a continuing fault is logged again (above debug). */
  repeatLogMs?: number;
  /** Clock, for the dim schedule, burn-in shift and refresh. */
  now?: () => Date;
  /**
   * A panel that lost power shows the right picture again within this many ms: the driver's
   * refresh steps are spread evenly over it (one every period / refreshSteps). 0 or absent: off.
   */
  refreshPeriodMs?: number;
}

const SHIFTS: [number, number][] = [[0, 0], [1, 0], [1, 1], [0, 1]];

export class PanelDisplay implements Display {
  private model: DisplayModel | null = null;
  private pageIndex = 0;
  private ready = false;
  private busy: Promise<void> | null = null;
  private dirty = false;
  private closed = false;
  private lastDrawAt = -Infinity;
  private drawTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private pageTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private nextRefreshAt = Infinity;
  private failures = 0;
  private lastFaultCode: string | null = null;
  private lastFaultLogAt = -Infinity;
  private dimmed: boolean | null = null;
  /** Frames put on the glass, for tests and the bench. */
  framesDrawn = 0;
  /** Failed bus operations since start (for /metrics). */
  busErrors = 0;
  /** Refresh steps sent, for tests and the bench. */
  refreshSteps = 0;

  constructor(private readonly driver: PanelDriver, private readonly opts: PanelDisplayOptions) {
    const interval = opts.pageIntervalMs ?? 8000;
    if (opts.pages.length > 1 && interval > 0) {
      this.pageTimer = setInterval(() => this.nextPage(), interval);
      this.pageTimer.unref();
    }
    const step = this.refreshStepMs();
    if (step !== null) {
      // Without new models no frame is drawn; the refresh must go on regardless.
      this.refreshTimer = setInterval(() => this.kick(), step);
      this.refreshTimer.unref();
    }
  }

  private refreshStepMs(): number | null {
    const period = this.opts.refreshPeriodMs ?? 0;
    if (period <= 0 || !this.driver.refreshStep) return null;
    return period / Math.max(1, this.driver.refreshSteps ?? 1);
  }

  get currentPage(): PageName { return this.opts.pages[this.pageIndex % this.opts.pages.length]; }

  nextPage(): void {
    this.pageIndex = (this.pageIndex + 1) % this.opts.pages.length;
    this.kick();
  }

  show(model: DisplayModel): void {
    if (this.closed) return;
    this.model = model;
    this.kick();
  }

  private kick(): void {
    if (this.closed || this.model === null) return;
    if (this.busy) { this.dirty = true; return; }
    if (this.retryTimer || this.drawTimer) return; // a retry or a capped frame is already due
    const wait = this.lastDrawAt + (this.opts.refreshMs ?? 200) - Date.now();
    if (wait > 0) {
      this.drawTimer = setTimeout(() => { this.drawTimer = null; this.kick(); }, wait);
      this.drawTimer.unref();
      return;
    }
    this.busy = this.cycle().finally(() => {
      this.busy = null;
      if (this.dirty && !this.closed) { this.dirty = false; this.kick(); }
    });
  }

  private now(): Date { return this.opts.now ? this.opts.now() : new Date(); }

  private shift(): [number, number] {
    if (!this.driver.burnInShift) return [0, 0];
    const period = this.opts.shiftIntervalMs ?? 180_000;
    return SHIFTS[Math.floor(this.now().getTime() / period) % SHIFTS.length];
  }

  private render(page: PageName | 'stopped', shifted: boolean): Frame {
    const frame = renderPage(page, this.model, this.driver.size);
    if (shifted && frame.kind === 'pixel') {
      const [dx, dy] = this.shift();
      return { kind: 'pixel', canvas: frame.canvas.shifted(dx, dy) };
    }
    return frame;
  }

  private async cycle(): Promise<void> {
    this.lastDrawAt = Date.now();
    try {
      if (!this.ready) {
        await this.driver.init();
        this.ready = true;
        this.dimmed = null;
        const step = this.refreshStepMs();
        if (step !== null) this.nextRefreshAt = this.now().getTime() + step; // init sent everything
      }
      const dim = isDim(this.opts.dim ?? null, this.now());
      if (dim !== this.dimmed) {
        await this.driver.setDim(dim);
        this.dimmed = dim;
      }
      await this.driver.draw(this.render(this.currentPage, true));
      this.framesDrawn++;
      // Recovery is a frame that arrived, not an init that succeeded: a png driver's init cannot
      // fail, and a panel may open and then refuse every write. Counting init as recovery reset
      // the backoff and logged a notice and the error again on every attempt.
      if (this.failures > 0) {
        this.opts.logger.notice(`display: ${this.driver.description} answers again after ${this.failures} failed attempt(s); re-initialised`);
        this.failures = 0;
        this.lastFaultCode = null;
      }
      const step = this.refreshStepMs();
      const t = this.now().getTime();
      if (step !== null && t >= this.nextRefreshAt) {
        // Steps keep to their schedule when frames come late, so a whole cycle still fits in the
        // period; after a long gap (a suspended machine) the schedule restarts instead of bursting.
        this.nextRefreshAt = t - this.nextRefreshAt >= step ? t + step : this.nextRefreshAt + step;
        await this.driver.refreshStep!();
        this.refreshSteps++;
      }
    } catch (err) {
      this.fault(err);
    }
  }

  private fault(err: unknown): void {
    this.ready = false;
    this.failures++;
    this.busErrors++;
    const e = err as NodeJS.ErrnoException;
    const code = typeof e?.code === 'string' ? e.code : 'UNKNOWN';
    const msg = e instanceof Error ? e.message : String(err);
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, (this.opts.backoffMs ?? 1000) * 2 ** Math.min(this.failures - 1, 20));
    const t = Date.now();
    const hint = this.driver.faultHint ? this.driver.faultHint(code) : faultHint(code, this.driver.busNumber, this.driver.address);
    if (code !== this.lastFaultCode) {
      this.opts.logger.error(`display: ${this.driver.description}: ${msg} (${code}): ${hint}; retrying with backoff, the framework carries on`);
      this.lastFaultLogAt = t;
    } else if (t - this.lastFaultLogAt >= (this.opts.repeatLogMs ?? 600_000)) {
      this.opts.logger.warn(`display: ${this.driver.description} still failing (${code}) after ${this.failures} attempts; next retry in ${Math.round(delay / 1000)}s`);
      this.lastFaultLogAt = t;
    } else {
      this.opts.logger.debug(`display: ${this.driver.description}: attempt ${this.failures} failed (${code}); retry in ${delay}ms`);
    }
    this.lastFaultCode = code;
    if (this.closed) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.kick(); }, delay);
    this.retryTimer.unref();
  }

  /** Resolves when no frame is in flight or due (a pending fault retry does not count). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.busy) { await this.busy; continue; }
      if (this.drawTimer) { await new Promise((r) => setTimeout(r, 5)); continue; }
      return;
    }
  }

  /** True while the panel is failing and a retry is scheduled. */
  get failing(): boolean { return this.failures > 0; }

  async close(final: 'stopped' | 'blank'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.drawTimer, this.retryTimer]) if (t) clearTimeout(t);
    for (const t of [this.pageTimer, this.refreshTimer]) if (t) clearInterval(t);
    this.drawTimer = this.retryTimer = this.pageTimer = this.refreshTimer = null;
    if (this.busy) await this.busy;
    try {
      // One attempt only: a dead panel must not hold up shutdown.
      if (!this.ready) await this.driver.init();
      if (final === 'blank') await this.driver.blank();
      else {
        await this.driver.draw(this.render('stopped', false));
      }
    } catch (err) {
      this.opts.logger.debug(`display: ${this.driver.description}: final ${final} frame not shown: ${(err as Error).message}`);
    }
    try { await this.driver.close(); } catch { /* the bus is going away anyway */ }
  }

  async reopen(): Promise<void> {
    if (this.closed) return;
    if (this.busy) await this.busy;
    this.ready = false;
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    this.lastDrawAt = -Infinity;
    this.kick();
    if (this.busy) await this.busy;
  }
}
