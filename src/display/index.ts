// The display module's door: the daemon parses `--display` with parseDisplaySpec and builds the
// display with createDisplay; everything else here is internal.
import { Logger } from '../common/logger';
import { Display } from './model';
import { DisplaySpec, parseDisplaySpec } from './spec';
import { parseDimSchedule, DimSchedule } from './dim';
import { I2cLikeBus, OpenBus, openRealBus } from './bus';
import { NoneDisplay } from './none';
import { TerminalStatusDisplay } from './terminal-status';

export { parseDisplaySpec, parseDimSchedule };
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
  /** Opens an I2C bus (default: i2c-bus, loaded lazily). Tests inject emulated buses here. */
  openBus?: (busNumber: number) => Promise<I2cLikeBus>;
  /** Minimum time between redraws (terminal TTY, panels). */
  refreshMs?: number;
}

export function createDisplay(spec: DisplaySpec, opts: CreateDisplayOptions): Display {
  const dim: DimSchedule | null = opts.dim ? parseDimSchedule(opts.dim) : null;
  void dim;
  void openRealBus;
  switch (spec.kind) {
    case 'none':
      return new NoneDisplay();
    case 'terminal':
      if (spec.size === null) {
        return new TerminalStatusDisplay({ out: opts.out ?? process.stdout, logger: opts.logger, refreshMs: opts.refreshMs });
      }
      throw new Error('display terminal:size=... is not available yet');
    default:
      throw new Error(`display ${spec.kind} is not available yet`);
  }
}
