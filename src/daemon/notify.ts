// sd_notify(3) for a Type=notify unit, through the `systemd-notify` npm package.
//
// How the package works (node_modules/systemd-notify/notify.js): every call spawns the
// `systemd-notify` binary with --ready, --status=TEXT and --pid=<our pid>; it has no option for
// other assignments, nor for --no-block. Consequences, each handled here:
// - The datagram comes from the child, not from us: an unprivileged child cannot claim our PID in
//   its credentials, so systemd needs NotifyAccess=all (see systemd/pi-mesos.service).
// - WATCHDOG=1 and STOPPING=1 have no option. The notify protocol is newline-separated
//   assignments and the binary copies the --status text verbatim into "STATUS=<text>", so they
//   ride as extra lines after the status text (which we keep to one line).
// - The binary waits (up to 5 s) until the manager has read the message (a BARRIER=1 round trip),
//   so a slow manager means long-lived children. At most one child is in flight; requests made
//   meanwhile are merged, the latest STATUS winning, and sent in one go when it exits.
// Without NOTIFY_SOCKET (not under systemd) every method is a silent no-op.
import { Logger } from '../common/logger';

export interface PackageOptions {
  ready?: boolean;
  status?: string;
}

/** The package's call signature. */
export type SendFunction = (opts: PackageOptions) => Promise<unknown>;

export interface NotifierOptions {
  logger: Logger;
  /**
   * Where NOTIFY_SOCKET/WATCHDOG_USEC/WATCHDOG_PID are read (default process.env). The spawned
   * systemd-notify always inherits process.env, so that is where NOTIFY_SOCKET has to be.
   */
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** Defaults to the systemd-notify package. */
  send?: SendFunction;
}

interface Pending {
  ready: boolean;
  status: string | null;
  watchdog: boolean;
  stopping: boolean;
  waiters: (() => void)[];
}

function emptyPending(): Pending {
  return { ready: false, status: null, watchdog: false, stopping: false, waiters: [] };
}

function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

export class SystemdNotifier {
  /** True under systemd (NOTIFY_SOCKET set). */
  readonly enabled: boolean;
  /** Half of WATCHDOG_USEC, or null when systemd does not watch us. */
  readonly watchdogIntervalMs: number | null;
  private readonly logger: Logger;
  private readonly send: SendFunction;
  private pending = emptyPending();
  private inFlightNow = false;
  private lastStatus = '';
  private timer: NodeJS.Timeout | null = null;
  private spawnedCount = 0;

  constructor(opts: NotifierOptions) {
    const env = opts.env ?? process.env;
    const pid = opts.pid ?? process.pid;
    this.logger = opts.logger;
    this.enabled = Boolean(env.NOTIFY_SOCKET);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.send = opts.send ?? (require('systemd-notify') as SendFunction);
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === pid;
    this.watchdogIntervalMs = this.enabled && forUs && Number.isFinite(usec) && usec > 0
      ? Math.max(1, Math.floor(usec / 2000))
      : null;
  }

  /** Children started so far (each one a systemd-notify process). */
  get spawned(): number { return this.spawnedCount; }
  get inFlight(): boolean { return this.inFlightNow; }

  /** READY=1, with a first status line. Resolves once the message has been handed over. */
  ready(status?: string): Promise<void> {
    return this.request((p) => {
      p.ready = true;
      if (status !== undefined) p.status = oneLine(status);
    });
  }

  /** STATUS=<text>: what `systemctl status` shows. Coalesced: only the latest text matters. */
  status(text: string): Promise<void> {
    const line = oneLine(text);
    if (line === this.lastStatus && this.pending.status === null) return Promise.resolve();
    return this.request((p) => { p.status = line; });
  }

  /** One WATCHDOG=1 keep-alive. */
  watchdog(): Promise<void> {
    return this.request((p) => { p.watchdog = true; });
  }

  /**
   * Sends WATCHDOG=1 every half WATCHDOG_USEC while `healthy()` holds; when it does not, systemd's
   * watchdog fires and restarts the service. The timer firing at all shows the event loop turns.
   * Returns false (and does nothing) when systemd does not watch this process.
   */
  startWatchdog(healthy: () => boolean): boolean {
    if (this.watchdogIntervalMs === null) return false;
    this.stopWatchdog();
    this.timer = setInterval(() => {
      let ok = false;
      try {
        ok = healthy();
      } catch (e) {
        this.logger.error('watchdog health check failed', e);
      }
      if (ok) void this.watchdog();
      else this.logger.debug('watchdog: not healthy, keep-alive withheld');
    }, this.watchdogIntervalMs);
    // The daemon's own handles keep it alive; the keep-alive timer must not.
    this.timer.unref();
    return true;
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * STOPPING=1 (and a last status line); stops the watchdog timer. Resolves once handed over, or
   * after `maxWaitMs` at most: the datagram leaves before systemd-notify waits for the manager's
   * answer, so a shutdown need not wait out a busy manager.
   */
  stopping(status?: string, maxWaitMs = 2000): Promise<void> {
    this.stopWatchdog();
    const sent = this.request((p) => {
      p.stopping = true;
      if (status !== undefined) p.status = oneLine(status);
    });
    if (!this.enabled) return sent;
    let timer: NodeJS.Timeout | undefined;
    const capped = new Promise<void>((resolve) => { timer = setTimeout(resolve, maxWaitMs); });
    return Promise.race([sent, capped]).finally(() => clearTimeout(timer));
  }

  /** Stops the timer; a message already in flight still completes. */
  close(): void {
    this.stopWatchdog();
  }

  private request(merge: (p: Pending) => void): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return new Promise<void>((resolve) => {
      merge(this.pending);
      this.pending.waiters.push(resolve);
      if (!this.inFlightNow) this.flush();
    });
  }

  private flush(): void {
    const p = this.pending;
    this.pending = emptyPending();
    const extras: string[] = [];
    if (p.watchdog) extras.push('WATCHDOG=1');
    if (p.stopping) extras.push('STOPPING=1');
    if (p.status !== null) this.lastStatus = p.status;
    const opts: PackageOptions = {};
    if (p.ready) opts.ready = true;
    if (p.status !== null || extras.length > 0) {
      // Re-sending the current status with the extras leaves what systemctl shows unchanged.
      opts.status = [this.lastStatus, ...extras].join('\n');
    }
    this.inFlightNow = true;
    this.spawnedCount++;
    let sent: Promise<unknown>;
    try {
      sent = this.send(opts);
    } catch (e) {
      sent = Promise.reject(e);
    }
    sent.then(
      () => undefined,
      (err: unknown) => this.reportFailure(err),
    ).finally(() => {
      this.inFlightNow = false;
      for (const w of p.waiters) w();
      if (this.pending.waiters.length > 0) this.flush();
    });
  }

  private reportFailure(err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') {
      this.logger.error('sd_notify: the systemd-notify program is not installed, so systemd never hears READY/WATCHDOG '
        + '(install the systemd package)');
    } else {
      // Usually the manager did not answer the barrier within 5 s: busy, or reloading.
      this.logger.warn(`sd_notify: systemd-notify failed: ${oneLine(text) || 'no message'}`);
    }
  }
}
