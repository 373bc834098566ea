import { Logger } from '../common/logger';
import { createDisplay, Display, DisplayModel } from '../display/index';
import { LocalBackend } from '../framework/local-backend';
import { PiFramework } from '../framework/pi-framework';
import { scaleFor } from '../pi/precision';
import { Config } from './config';
import { localClusterView, localFrameworkView, piView, ProcessCpuMeter } from './display-model';

/** How often the display model is rebuilt; drivers cap their own refresh and send only changes. */
const MODEL_INTERVAL_MS = 500;

/**
 * Wires the framework, its backend and the display together and owns their lifecycle: start,
 * stop (SIGTERM) and display reload (SIGHUP). Protocol and pixel details live below it.
 */
export class Daemon {
  fw!: PiFramework;
  private local?: LocalBackend;
  private display: Display;
  private modelTimer?: NodeJS.Timeout;
  private readonly cpu = new ProcessCpuMeter();
  private stopped = false;
  /** Resolves when the run is complete (max terms reached) or the daemon was stopped. */
  readonly finished: Promise<'complete' | 'stopped'>;
  private resolveFinished!: (how: 'complete' | 'stopped') => void;

  constructor(private readonly config: Config, private readonly logger: Logger) {
    this.display = this.makeDisplay();
    this.finished = new Promise((r) => { this.resolveFinished = r; });
  }

  private makeDisplay(): Display {
    try {
      return createDisplay(this.config.display, {
        logger: this.logger,
        pageIntervalMs: this.config.displayPageSeconds * 1000,
        dim: this.config.dim ?? undefined,
        onStop: this.config.displayOnStop,
      });
    } catch (e) {
      // The framework never stops for the display.
      this.logger.error(`display ${this.config.displayText} could not be created; running without it`, e);
      return createDisplay({ kind: 'none' } as Config['display'], { logger: this.logger });
    }
  }

  async start(): Promise<void> {
    const c = this.config;
    this.fw = await PiFramework.open({
      scale: scaleFor(c.precision),
      stateDir: c.stateDir,
      logger: this.logger,
      targetTaskSeconds: c.targetTaskSeconds,
      maxTerms: c.maxTerms ?? undefined,
    });
    this.fw.on('complete', () => {
      this.logger.notice(`run complete: ${this.fw.ledger.acc.prefixEnd} terms, π = ${this.fw.certified().certified}`);
      this.resolveFinished('complete');
    });
    if (c.master.kind !== 'local') throw new Error('the Mesos backend is not built yet: use --master local');
    this.local = new LocalBackend(this.fw, c.master.workers, this.logger);
    await this.local.start();
    this.modelTimer = setInterval(() => this.refresh(), MODEL_INTERVAL_MS);
    this.refresh();
    if (this.fw.complete) this.resolveFinished('complete');
  }

  model(): DisplayModel {
    const workers = this.local?.workers ?? 0;
    return {
      cluster: localClusterView(workers, this.cpu),
      pi: piView(this.fw),
      framework: localFrameworkView(this.fw, this.local?.pool.running ?? 0),
    };
  }

  private refresh(): void {
    try {
      this.display.show(this.model());
    } catch (e) {
      this.logger.error('display update failed', e);
    }
  }

  async reloadDisplay(): Promise<void> {
    this.logger.info('SIGHUP: reopening the display');
    await this.display.reopen().catch((e) => this.logger.error('display reopen failed', e));
  }

  /** Stops launching, ends local workers, checkpoints, shows the final frame. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.modelTimer) clearInterval(this.modelTimer);
    await this.local?.stop();
    if (this.fw) {
      await this.fw.persist();
      this.refresh();
    }
    await this.display.close(this.config.displayOnStop).catch((e) => this.logger.error('display close failed', e));
    this.resolveFinished('stopped');
  }
}
