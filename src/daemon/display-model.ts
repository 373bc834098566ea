import * as os from 'os';
import { ClusterView, DisplayModel, FrameworkView } from '../display/model';
import type { IdleReason } from '../framework/mesos-backend';
import { PiFramework } from '../framework/pi-framework';
import type { SchedulerConnectionState } from '../mesos/scheduler';

/** The pi page of the model, from the framework alone. */
export function piView(fw: PiFramework): DisplayModel['pi'] {
  const c = fw.certified();
  return {
    certified: c.certified,
    uncertain: c.uncertain,
    termsDone: fw.ledger.acc.prefixEnd,
    termsComputed: fw.ledger.acc.termsComputed,
    termsPerSecond: fw.throughput.rate(),
    nextDigitEtaSeconds: fw.nextDigitEta(),
  };
}

/**
 * CPU use of this process in cores, from process.cpuUsage() deltas: in local mode the workers
 * are threads of this process, so this is what they (and the daemon) really burn.
 */
export class ProcessCpuMeter {
  private last = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  private cores = 0;

  sample(): number {
    const now = process.hrtime.bigint();
    const wallUs = Number(now - this.lastAt) / 1000;
    if (wallUs >= 500_000) {
      const u = process.cpuUsage(this.last);
      this.cores = (u.user + u.system) / wallUs;
      this.last = process.cpuUsage();
      this.lastAt = now;
    }
    return this.cores;
  }
}

export function localClusterView(workers: number, cpu: ProcessCpuMeter): ClusterView {
  const memTotalMb = Math.round(os.totalmem() / 2 ** 20);
  const memUsedByUsMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  const memUsedByOthersMb = Math.max(0, Math.round((os.totalmem() - os.freemem()) / 2 ** 20) - memUsedByUsMb);
  const cpusUsedByUs = Math.min(workers, cpu.sample());
  return {
    cpusTotal: workers,
    cpusUsedByUs,
    cpusUsedByOthers: 0,
    memTotalMb,
    memUsedByUsMb,
    memUsedByOthersMb,
    agents: [{
      id: 'local', hostname: os.hostname().split('.')[0], online: true, cpusTotal: workers, cpusUsedByUs,
      cpusUsedByOthers: 0, memTotalMb, memUsedByUsMb, memUsedByOthersMb,
    }],
  };
}

export function localFrameworkView(fw: PiFramework, running: number): FrameworkView {
  return {
    mode: 'local',
    subscribed: true,
    master: 'local',
    heartbeatAgeSeconds: null,
    tasksRunning: running,
    tasksLost: fw.tasksLost,
    // Local workers idle only between tasks (a moment), at start and stop, or while a failed range
    // backs off: only the last is worth naming.
    idleReason: fw.complete ? 'done' : running === 0 && fw.ledger.nextRetryIn() !== undefined ? 'waiting for a retry' : null,
  };
}

/**
 * The framework page in Mesos mode. `backend` is undefined until the Mesos backend exists (the
 * daemon is still starting): that reads as not subscribed. Its idle reason null means working.
 */
export function mesosFrameworkView(
  fw: PiFramework,
  client: { state: SchedulerConnectionState; subscribed: boolean } | undefined,
  backend: { idleReason(): IdleReason; lastOfferAt: number } | undefined,
  now = Date.now(),
): FrameworkView {
  const st = client?.state;
  const reason = backend ? backend.idleReason() : 'not subscribed';
  const since = backend?.lastOfferAt ? Math.round((now - backend.lastOfferAt) / 1000) : null;
  return {
    mode: 'mesos',
    subscribed: Boolean(client?.subscribed),
    master: st?.master ?? null,
    heartbeatAgeSeconds: st?.lastHeartbeatAt ? Math.round((now - st.lastHeartbeatAt) / 1000) : null,
    tasksRunning: fw.ledger.inFlightCount,
    tasksLost: fw.tasksLost,
    idleReason: reason === 'no offers' && since !== null ? `no offers for ${since}s` : reason,
  };
}
