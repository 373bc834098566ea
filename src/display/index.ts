// The display module's door: the daemon parses `--display` with parseDisplaySpec and builds the
// display with createDisplay; everything else here is internal.
import { Logger } from '../common/logger';
import { Display } from './model';
import { DisplaySpec, PAGE_NAMES, PanelSize, parseDisplaySpec, specSize } from './spec';
import { parseDimSchedule, DimSchedule } from './dim';
import { I2cLikeBus, OpenBus, openRealBus } from './bus';
import { NoneDisplay } from './none';
import { TerminalStatusDisplay } from './terminal-status';
import { PanelDisplay, PanelDriver } from './panel-display';
import { TerminalPanelDriver } from './terminal-panel';
import { PngDriver } from './png-driver';
import { OledDriver } from './oled-driver';
import { LcdDriver } from './lcd-driver';
import { PageName } from './spec';

export { parseDisplaySpec, parseDimSchedule };
/** Counts and rates as every display writes them ("950", "12.3k", "21.8G"), for the daemon's status line. */
export { formatCount } from './format';
export type { DisplaySpec, DimSchedule, I2cLikeBus, OpenBus };
export type { Display, DisplayModel } from './model';

export interface CreateDisplayOptions {
  logger: Logger;
  /** Time each page stays up on panels that cycle pages. */
  pageIntervalMs?: number;
  /** Dim schedule, e.g. "22:00-07:00". */
  dim?: string;
  /** What close() shows when not told otherwise. */
  onStop?: 'stopped' | 'blank';
  /** Terminal output (default process.stdout). */
  out?: NodeJS.WritableStream;
  /**
   * The stream the daemon logs to, when it may share out's terminal (default process.stderr when
   * out is process.stdout): the terminal displays keep its lines above their in-place view.
   */
  logs?: NodeJS.WritableStream;
  /** Opens an I2C bus (default: i2c-bus, loaded lazily). Tests inject emulated buses here. */
  openBus?: (busNumber: number) => Promise<I2cLikeBus>;
  /** Minimum time between redraws (terminal TTY, panels). */
  refreshMs?: number;
}

/**
 * The panel the web page pictures for a spec: the configured panel's size and pages, or a 128x64
 * with every page for the text status, png-less terminal and none.
 */
export function webPanelFor(spec: DisplaySpec): { size: PanelSize; pages: PageName[] } {
  const size = specSize(spec) ?? '128x64';
  const pages = spec.kind === 'none' ? [...PAGE_NAMES] : spec.pages;
  return { size, pages: pages.length > 0 ? pages : [...PAGE_NAMES] };
}

/** Builds the display for a spec. Never touches the bus here: the first frame opens it. */
export function createDisplay(spec: DisplaySpec, opts: CreateDisplayOptions): Display {
  const dim: DimSchedule | null = opts.dim ? parseDimSchedule(opts.dim) : null;
  const openBus: OpenBus = opts.openBus ?? openRealBus;
  const out = opts.out ?? process.stdout;
  const panel = (driver: PanelDriver, pages: PageName[], refreshSeconds = 0): Display => {
    const display = new PanelDisplay(driver, {
      logger: opts.logger, pages, dim, pageIntervalMs: opts.pageIntervalMs, refreshMs: opts.refreshMs,
      refreshPeriodMs: refreshSeconds * 1000,
    });
    return withDefaultStop(display, opts.onStop);
  };
  switch (spec.kind) {
    case 'none':
      return new NoneDisplay();
    case 'terminal':
      if (spec.size === null) {
        return withDefaultStop(new TerminalStatusDisplay({ out, logs: opts.logs, logger: opts.logger, refreshMs: opts.refreshMs }), opts.onStop);
      }
      return panel(new TerminalPanelDriver(spec.size, out, opts.logs), spec.pages);
    case 'png':
      return panel(new PngDriver(spec), spec.pages);
    case 'ssd1306':
    case 'sh1106':
      return panel(new OledDriver(spec, openBus), spec.pages, spec.refreshSeconds);
    case 'hd44780':
      return panel(new LcdDriver(spec, openBus), spec.pages, spec.refreshSeconds);
  }
}

/**
 * The daemon says what it wants on close(); `onStop` overrides it when the user configured it
 * (e.g. --display-on-stop blank), so the daemon can pass 'stopped' unconditionally.
 */
function withDefaultStop(display: Display, onStop: 'stopped' | 'blank' | undefined): Display {
  if (!onStop) return display;
  return {
    show: (m) => display.show(m),
    close: () => display.close(onStop),
    reopen: () => display.reopen(),
  };
}
