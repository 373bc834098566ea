import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Logger } from '../common/logger';
import { createDisplay, Display, DisplayModel, formatCount, webPanelFor } from '../display/index';
import { LocalBackend } from '../framework/local-backend';
import { MesosBackend } from '../framework/mesos-backend';
import { PiFramework } from '../framework/pi-framework';
import { measureWorkRate } from '../framework/calibrate';
import { loadCredentials } from '../mesos/credentials';
import { createMasterDetector, MasterDetector } from '../mesos/detector';
import { OperatorClient } from '../mesos/operator';
import { SchedulerClient } from '../mesos/scheduler';
import { scalarSum } from '../mesos/resources';
import type { EnvironmentVariable, FrameworkInfo } from '../mesos/types';
import type { ExecutorTemplate } from '../framework/executor-identity';
import { scaleFor } from '../pi/precision';
import { ClusterTracker, ourUse } from './cluster-view';
import { changedUntilRestart, Config, formatListen } from './config';
import { localClusterView, localFrameworkView, mesosFrameworkView, piView, ProcessCpuMeter } from './display-model';
import { BUNDLE_FILE, bundleDigest, buildExecutorBundle, fallbackBundleDirectory, fetchedExecutorCommand, installedExecutorCommand, packageVersion } from './executor-bundle';
import { bundleUrl, daemonMetricFamilies, DaemonHttpServer } from './http-server';
import { jitless } from './node-flags';
import { SystemdNotifier } from './notify';
import { lockStateDir, StateLock } from './state-lock';

/** sysexits.h EX_UNAVAILABLE: something the daemon needs from this machine is taken or missing. */
export const EX_UNAVAILABLE = 69;

/** A start that cannot go on, with the status to exit with and one line saying why. */
export class StartupError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** How often the display model is rebuilt; drivers cap their own refresh and send only changes. */
const MODEL_INTERVAL_MS = 500;
const STATUS_INTERVAL_MS = 5000;
const AGENTS_INTERVAL_MS = 5000;
/**
 * Resources of one task and of the executor process itself (Node.js plus idle worker threads).
 * The executor's share is small and the task's a little under one CPU so that an agent with n
 * CPUs runs n tasks (n·0.95 + 0.05 ≤ n): with a whole CPU per task plus any executor share, a
 * 4-core Pi would run only 3, and a 1-core agent none at all.
 */
export const TASK_CPUS = 0.95;
export const TASK_MEM_MB = 32;
export const EXECUTOR_CPUS = 0.05;
export const EXECUTOR_MEM_MB = 96;

/** How a run ended: its work complete, stopped by a signal, failed for good, or a --teardown done. */
export type RunEnd = 'complete' | 'stopped' | 'fatal' | 'teardown' | 'nothing to tear down';

/**
 * Wires the framework, its backend, the display, sd_notify and the HTTP endpoints, and owns their
 * lifecycle: start, stop (SIGTERM) and display reload (SIGHUP). Protocol and pixel details live
 * below it.
 */
export class Daemon {
  fw!: PiFramework;
  local?: LocalBackend;
  mesos?: MesosBackend;
  private client?: SchedulerClient;
  private operator?: OperatorClient;
  private detector?: MasterDetector;
  private http?: DaemonHttpServer;
  private display: Display;
  private readonly notifier: SystemdNotifier;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly cpu = new ProcessCpuMeter();
  private readonly cluster = new ClusterTracker();
  private readonly updatesByState: Record<string, number> = {};
  private loopLagMs = 0;
  private bundleDigest?: string;
  private lock?: StateLock;
  private stopped = false;
  /** A temporary directory serving the executor bundle when the state directory took no writes. */
  private bundleFallback?: string;
  private ready = false;
  /** Resolves when the run is complete (max terms reached), stopped, or failed for good. */
  readonly finished: Promise<RunEnd>;
  private resolveFinished!: (how: RunEnd) => void;

  constructor(private config: Config, private readonly logger: Logger) {
    this.display = this.makeDisplay();
    this.notifier = new SystemdNotifier({ logger });
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
    // Before the checkpoint is even read: a second daemon must not touch it.
    this.lock = await lockStateDir(c.stateDir);
    const scale = scaleFor(c.precision);
    this.fw = await PiFramework.open({
      scale,
      // Executors compute only --executor-duty of the time: sized at full speed, an agent's first
      // ranges would take 1/duty times --target-range-seconds (50 times at 0.02).
      defaultWorkRate: measureWorkRate(scale) * (c.master.kind === 'local' ? 1 : c.executorDuty),
      stateDir: c.stateDir,
      logger: this.logger,
      // Local workers take the next range the moment one ends, and compute one range per task.
      targetTaskSeconds: c.master.kind === 'local' ? c.targetRangeSeconds : c.targetTaskSeconds,
      targetRangeSeconds: c.master.kind === 'local' ? undefined : c.targetRangeSeconds,
      maxTerms: c.maxTerms ?? undefined,
      maxTaskTerms: c.maxTaskTerms ?? undefined,
    });
    this.fw.on('complete', () => {
      this.logger.notice(`run complete: ${this.fw.ledger.acc.prefixEnd} terms, π = ${this.fw.certified().certified}`);
      this.resolveFinished('complete');
    });
    if (c.teardown && !this.fw.frameworkId) {
      this.logger.notice(`--teardown: no framework ID stored in ${c.stateDir}; nothing to tear down`);
      this.resolveFinished('nothing to tear down');
      return;
    }
    this.watchEventLoop();
    if (c.http) await this.startHttp();
    if (c.master.kind === 'local') {
      this.local = new LocalBackend(this.fw, c.master.workers, this.logger);
      if (jitless()) this.logger.warn('local mode under --jitless (NODE_OPTIONS?): the workers compute at about half speed; it only pays in Mesos mode');
      await this.local.start();
      await this.markReady();
    } else {
      await this.startMesos();
    }
    this.every(MODEL_INTERVAL_MS, () => this.refresh());
    this.every(STATUS_INTERVAL_MS, () => void this.notifier.status(this.statusLine()));
    this.notifier.startWatchdog(() => this.healthy());
    this.refresh();
    // A finished run still has a framework to tear down: --teardown must not stop at "complete".
    if (this.fw.complete && !(c.teardown && c.master.kind !== 'local')) this.resolveFinished('complete');
  }

  private every(ms: number, f: () => void): void {
    const t = setInterval(f, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Measures event-loop lag, for the watchdog: a loop stuck for seconds is not healthy. */
  private watchEventLoop(): void {
    let expected = Date.now() + 1000;
    this.every(1000, () => {
      const now = Date.now();
      this.loopLagMs = Math.max(0, now - expected);
      expected = now + 1000;
    });
  }

  private healthy(): boolean {
    if (this.loopLagMs > 5000) return false;
    if (!this.client) return true;
    // Subscribed, or working on it (connecting/backing off); 'failed' means a fatal error.
    return this.client.state.status !== 'failed' && this.client.state.status !== 'stopped';
  }

  private async markReady(): Promise<void> {
    if (this.ready) return;
    this.ready = true;
    await this.notifier.ready(this.statusLine());
  }

  private async startHttp(): Promise<void> {
    const fetching = this.config.master.kind !== 'local' && this.config.executor.kind === 'fetch';
    let executorDir: string | null = null;
    if (fetching) {
      executorDir = path.join(this.config.stateDir, 'executor');
      let bundle: string;
      try {
        bundle = await buildExecutorBundle(executorDir);
      } catch (e) {
        // A full or read-only state directory (an SD card failing) stopped every start with
        // status 70, and five of those in five minutes end the unit for good (chaos soak). The
        // bundle is rebuilt at every start anyway: a temporary directory serves as well.
        const { dir: fallback, refused } = await fallbackBundleDirectory(this.config.stateDir);
        if (refused) this.logger.warn(`not reusing ${refused}; a new temporary directory each start`);
        this.logger.warn(`cannot write the executor bundle to ${executorDir} (${(e as Error).message.split('\n')[0]}); serving it from ${fallback}`);
        executorDir = fallback;
        this.bundleFallback = fallback;
        bundle = await buildExecutorBundle(executorDir);
      }
      this.bundleDigest = await bundleDigest(bundle);
    }
    this.http = new DaemonHttpServer({
      listen: this.config.http!,
      logger: this.logger,
      model: () => (this.fw ? this.model() : null),
      statusExtra: () => ({ status: this.statusLine(), mode: this.config.master.kind, frameworkId: this.fw?.frameworkId ?? null }),
      metrics: () => daemonMetricFamilies({
        offersReceived: this.mesos?.offersReceived ?? 0,
        offersDeclined: this.mesos?.offersDeclined ?? 0,
        taskUpdatesByState: this.updatesByState,
        tasksRunning: this.mesos?.tasksRunning ?? this.local?.pool.running ?? 0,
        tasksLaunched: this.mesos?.tasksLaunched ?? this.local?.tasksLaunched ?? 0,
        rangesFinished: this.fw?.tasksFinished ?? 0,
        termsDone: this.fw?.ledger.acc.prefixEnd ?? 0,
        termsComputed: this.fw?.ledger.acc.termsComputed ?? 0,
        computeSeconds: this.fw?.computeSeconds ?? 0,
        termsPerSecond: this.fw?.throughput.rate() ?? 0,
        certifiedDigits: Math.max(0, this.fw?.certified().decimals ?? 0),
        displayBusErrors: this.display.busErrors ?? 0,
        masterReconnects: this.client?.state.reconnects ?? 0,
        subscribed: this.client ? this.client.subscribed : true,
        version: packageVersion(),
      }),
      executorDir,
      panel: () => webPanelFor(this.config.display),
      frameworkName: this.config.frameworkName,
    });
    try {
      await this.http.start();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
        // A stack trace would only hide the one thing to fix.
        this.http = undefined;
        throw new StartupError(EX_UNAVAILABLE, `${(e as Error).message}; set another address with --http (PI_MESOS_HTTP), or off`);
      }
      throw e;
    }
  }

  /**
   * What every executor runs. Its settings travel in CommandInfo.environment: an agent gives an
   * executor nothing of its own environment. The version and the bundle's digest are in it too,
   * so new code gets a new ExecutorID (see executor-identity.ts).
   */
  private executorTemplate(): { template: ExecutorTemplate; hint: string; fetchHint: string } {
    const c = this.config;
    const env: EnvironmentVariable[] = [
      { name: 'PI_MESOS_VERSION', type: 'VALUE', value: packageVersion() },
      // Defaults: an agent's own PI_MESOS_EXECUTOR_DUTY / _IDLE_SECONDS (its
      // --executor_environment_variables) still win there, for a Pi that runs hotter than the rest.
      { name: 'PI_MESOS_EXECUTOR_DUTY_DEFAULT', type: 'VALUE', value: String(c.executorDuty) },
      { name: 'PI_MESOS_EXECUTOR_IDLE_SECONDS_DEFAULT', type: 'VALUE', value: String(c.executorIdleSeconds) },
      { name: 'PI_MESOS_LOG_LEVEL', type: 'VALUE', value: c.logLevel },
    ];
    let command;
    let hint: string;
    if (c.executor.kind === 'command') {
      command = installedExecutorCommand(c.executor.path, env);
      hint = `Check --executor (PI_MESOS_EXECUTOR): ${c.executor.path} must exist and be executable on every agent, with the node it runs.`;
    } else {
      const bound = this.http?.address;
      if (!bound || !c.executorUrlHost) {
        throw new Error('--executor fetch needs the HTTP server (--http) and --executor-url-host, the address agents reach this daemon at');
      }
      if (this.bundleDigest) env.push({ name: 'PI_MESOS_EXECUTOR_BUILD', type: 'VALUE', value: this.bundleDigest });
      const url = bundleUrl(c.executorUrlHost, bound.port, BUNDLE_FILE);
      command = fetchedExecutorCommand(url, c.executorNode, env);
      hint = path.posix.isAbsolute(c.executorNode)
        ? `Set --executor-node (PI_MESOS_EXECUTOR_NODE) to the Node.js binary on the agents (now ${c.executorNode}).`
        : `Set --executor-node (PI_MESOS_EXECUTOR_NODE) to the absolute path of Node.js on the agents: '${c.executorNode}' is looked up in the executor's PATH, which is the agent's --executor_environment_variables PATH or else /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin.`;
    }
    const fetchHint = c.executor.kind === 'fetch'
      ? `If the fetch failed, check that the agents reach ${command.uris![0].value} (--executor-url-host, --http). Check too that the task user ${c.user} (--user) exists on the agent and can write the sandbox.`
      : `Check that the task user ${c.user} (--user) exists on the agent and can run ${c.executor.path}.`;
    return { template: { name: 'pi-mesos executor', command, cpus: EXECUTOR_CPUS, memMb: EXECUTOR_MEM_MB }, hint, fetchHint };
  }

  private async startMesos(): Promise<void> {
    const c = this.config;
    const master = c.master.kind === 'zk' ? c.master.url : (c.master as { masters: string[] }).masters.join(',');
    const credentials = c.principal && c.secretFile ? loadCredentials(c.secretFile, c.principal) : undefined;
    const tls = c.caFile ? { caFile: c.caFile } : undefined;
    const framework: FrameworkInfo = {
      user: c.user,
      name: c.frameworkName,
      failover_timeout: c.failoverTimeout,
      checkpoint: true,
      roles: [c.role],
      hostname: os.hostname(),
      capabilities: [{ type: 'MULTI_ROLE' }],
    };
    if (this.fw.frameworkId) framework.id = { value: this.fw.frameworkId };
    if (c.principal) framework.principal = c.principal;
    if (this.http?.address) {
      // Mesos's UI links this for people on other machines: never a wildcard or an unbound port.
      const a = this.http.address;
      const host = c.executorUrlHost && !(isLoopbackHost(c.executorUrlHost) && !isLoopbackHost(a.host)) ? c.executorUrlHost
        : a.host === '0.0.0.0' || a.host === '::' ? os.hostname() : a.host;
      framework.webui_url = `http://${formatListen({ host, port: a.port })}/`;
    }
    // One detector for both clients: with zk:// that is one ZooKeeper session, not two.
    this.detector = createMasterDetector(master, { scheme: tls ? 'https' : 'http', logger: this.logger });
    this.detector.start();
    this.client = new SchedulerClient({
      master: this.detector, framework, credentials, tls, scheme: tls ? 'https' : 'http', encoding: c.wireFormat, logger: this.logger,
    });
    this.client.on('update', (s) => { this.updatesByState[s.state] = (this.updatesByState[s.state] ?? 0) + 1; });
    this.client.on('fatal', (e) => void this.onFatal(e));
    this.client.on('disconnected', (why) => this.logger.warn(`lost the master: ${why}`));
    if (c.teardown) {
      this.client.once('subscribed', () => void this.teardown());
      this.client.start();
      return;
    }
    const { template, hint, fetchHint } = this.executorTemplate();
    this.mesos = new MesosBackend({
      fw: this.fw, client: this.client, logger: this.logger, executor: template, executorHint: hint, fetchHint, role: c.role,
      taskCpus: TASK_CPUS, taskMemMb: TASK_MEM_MB,
    });
    this.mesos.once('subscribed', () => void this.markReady());
    this.mesos.start();
    this.operator = new OperatorClient({ master: this.detector, credentials, tls, scheme: tls ? 'https' : 'http', encoding: c.wireFormat, logger: this.logger });
    this.every(AGENTS_INTERVAL_MS, () => void this.pollAgents());
    // The cluster page showed 0 CPUs for up to two poll intervals after each (re)subscription.
    this.client.on('subscribed', () => void this.pollAgents());
  }

  private async pollAgents(): Promise<void> {
    if (!this.operator || !this.client?.subscribed) return;
    try {
      const agents = await this.operator.getAgents();
      // GET_AGENTS counts executors in allocated_resources: an idle executor of ours is our use,
      // not another framework's.
      const executors = [...this.mesos?.liveExecutors ?? []].map(([agentId, info]): [string, { cpus: number; memMb: number }] =>
        [agentId, { cpus: scalarSum(info.resources, 'cpus'), memMb: scalarSum(info.resources, 'mem') }]);
      this.cluster.update(agents, ourUse(executors, this.fw.ledger.tasks(),
        { cpus: TASK_CPUS, memMb: TASK_MEM_MB }, { cpus: EXECUTOR_CPUS, memMb: EXECUTOR_MEM_MB }));
    } catch (e) {
      this.logger.debug(`GET_AGENTS failed: ${(e as Error).message}`);
    }
  }

  private async teardown(): Promise<void> {
    try {
      await this.client!.teardown();
      this.logger.notice(`framework ${this.fw.frameworkId} torn down: its tasks are killed and it is removed from Mesos`);
      this.fw.frameworkId = undefined;
      this.fw.ledger.requeueAllInFlight();
      await this.fw.persist();
      this.resolveFinished('teardown');
    } catch (e) {
      this.logger.error('teardown failed', e);
      this.resolveFinished('fatal');
    }
  }

  private async onFatal(e: Error): Promise<void> {
    this.logger.error(`Mesos refused this framework: ${e.message}`);
    if (/removed|failover/i.test(e.message) && this.fw.frameworkId) {
      // The stored framework ID is dead (failover timeout passed, or torn down): its tasks are
      // gone, so their ranges go back to the queue and the next start registers anew.
      this.logger.warn(`forgetting framework ID ${this.fw.frameworkId}; the next start registers a new framework`);
      this.fw.frameworkId = undefined;
      this.fw.ledger.requeueAllInFlight();
      await this.fw.persist();
    }
    this.resolveFinished('fatal');
  }

  model(): DisplayModel {
    if (this.local) {
      return {
        cluster: localClusterView(this.local.workers, this.cpu),
        pi: piView(this.fw),
        framework: localFrameworkView(this.fw, this.local.pool.running),
      };
    }
    return {
      cluster: this.cluster.view(),
      pi: piView(this.fw),
      framework: mesosFrameworkView(this.fw, this.client, this.mesos),
    };
  }

  /** The one line `systemctl status` shows. */
  statusLine(): string {
    if (!this.fw) return 'starting';
    const c = this.fw.certified();
    const rate = this.fw.throughput.rate();
    const m = this.model();
    const digits = c.decimals >= 0 ? `π ${c.certified} (${c.decimals} certified)` : 'π not yet certain';
    const where = this.local ? `local[${this.local.workers}]` : this.client?.subscribed ? `subscribed to ${this.client.state.master}` : `master: ${this.client?.state.status ?? 'idle'}`;
    return `${digits}, ${formatCount(rate)} terms/s, cpus ${m.cluster.cpusUsedByUs.toFixed(1)}/${m.cluster.cpusTotal}, ${where}`;
  }

  private refresh(): void {
    try {
      this.display.show(this.model());
    } catch (e) {
      this.logger.error('display update failed', e);
    }
  }

  /**
   * SIGHUP: takes the display settings of `next` (a freshly loaded configuration) and reopens the
   * panel; a new kind or new options replace the display, the rest of the daemon is untouched.
   */
  async reloadDisplay(next?: Config): Promise<void> {
    const old = this.config;
    if (next) {
      const later = changedUntilRestart(old, next);
      if (later.length > 0) this.logger.notice(`SIGHUP: ${later.join(', ')} changed; applied at the next start (systemctl restart pi-mesos), not now`);
      if (next.logLevel !== old.logLevel) this.logger.notice(`SIGHUP: log level now ${next.logLevel}`);
    }
    const changed = next !== undefined && (next.displayText !== old.displayText || next.dim !== old.dim
      || next.displayPageSeconds !== old.displayPageSeconds || next.displayOnStop !== old.displayOnStop);
    if (next) this.config = { ...old, display: next.display, displayText: next.displayText, dim: next.dim, displayPageSeconds: next.displayPageSeconds, displayOnStop: next.displayOnStop, logLevel: next.logLevel };
    if (!changed) {
      this.logger.info('SIGHUP: reopening the display');
      await this.display.reopen().catch((e) => this.logger.error('display reopen failed', e));
      return;
    }
    this.logger.notice(`SIGHUP: display settings changed, now ${this.config.displayText}`);
    const previous = this.display;
    this.display = this.makeDisplay();
    await previous.close('blank').catch((e) => this.logger.error('closing the previous display failed', e));
    this.refresh();
  }

  /** Stops launching, checkpoints, shows the final frame; the Mesos framework stays registered. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.notifier.stopping();
    for (const t of this.timers) clearInterval(t);
    this.notifier.stopWatchdog();
    await this.local?.stop();
    await this.mesos?.stop();
    if (!this.mesos) await this.client?.stop();
    await this.operator?.close();
    await this.detector?.stop();
    if (this.fw) {
      // A full or read-only state directory made SIGTERM end in status 70 (chaos soak). Nothing is
      // lost: updates are acknowledged only once on disk, so Mesos re-sends what this misses.
      await this.fw.persist().catch((e) => this.logger.error(`the last checkpoint could not be written (${(e as Error).message}); the one before stands, and Mesos re-sends every update not yet acknowledged`));
      this.refresh();
    }
    await this.display.close(this.config.displayOnStop).catch((e) => this.logger.error('display close failed', e));
    await this.http?.close();
    this.notifier.close();
    // Before the lock goes: the next daemon on this state directory reuses the same directory.
    if (this.bundleFallback) await fsp.rm(this.bundleFallback, { recursive: true, force: true }).catch(() => undefined);
    await this.lock?.release();
    this.resolveFinished('stopped');
  }
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
