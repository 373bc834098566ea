// Sample models shared by the display tests, goldens and the bench.
import { DisplayModel } from '../../src/display/model';

export function localModel(): DisplayModel {
  return {
    cluster: {
      cpusTotal: 4, cpusUsedByUs: 3, cpusUsedByOthers: 0, memTotalMb: 3906, memUsedByUsMb: 120, memUsedByOthersMb: 0,
      agents: [{ id: 'local', hostname: 'localhost', online: true, cpusTotal: 4, cpusUsedByUs: 3, cpusUsedByOthers: 0, memTotalMb: 3906, memUsedByUsMb: 120, memUsedByOthersMb: 0 }],
    },
    pi: { certified: '3.14159', uncertain: '2653', termsDone: 123_456_789, termsComputed: 130_000_000, termsPerSecond: 12_345_678, nextDigitEtaSeconds: 252 },
    framework: { mode: 'local', subscribed: true, master: null, heartbeatAgeSeconds: null, tasksRunning: 3, tasksLost: 0, idleReason: null },
  };
}

export function clusterModel(): DisplayModel {
  return {
    cluster: {
      cpusTotal: 12, cpusUsedByUs: 7.5, cpusUsedByOthers: 2, memTotalMb: 11_718, memUsedByUsMb: 1536, memUsedByOthersMb: 2048,
      agents: [
        { id: 'a1', hostname: 'pi-node1.lan', online: true, cpusTotal: 4, cpusUsedByUs: 3.5, cpusUsedByOthers: 0.5, memTotalMb: 3906, memUsedByUsMb: 768, memUsedByOthersMb: 512 },
        { id: 'a2', hostname: 'pi-node2.lan', online: true, cpusTotal: 4, cpusUsedByUs: 4, cpusUsedByOthers: 0, memTotalMb: 3906, memUsedByUsMb: 768, memUsedByOthersMb: 0 },
        { id: 'a3', hostname: 'pi-node3.lan', online: true, cpusTotal: 4, cpusUsedByUs: 0, cpusUsedByOthers: 1.5, memTotalMb: 3906, memUsedByUsMb: 0, memUsedByOthersMb: 1536 },
        { id: 'a4', hostname: 'pi-node4.lan', online: false, cpusTotal: 4, cpusUsedByUs: 0, cpusUsedByOthers: 0, memTotalMb: 3906, memUsedByUsMb: 0, memUsedByOthersMb: 0 },
      ],
    },
    pi: { certified: '3.1415926', uncertain: '535', termsDone: 2_345_678_901, termsComputed: 2_400_000_000, termsPerSecond: 48_200_000, nextDigitEtaSeconds: 3725 },
    framework: { mode: 'mesos', subscribed: true, master: '10.0.0.10:5050', heartbeatAgeSeconds: 4, tasksRunning: 3, tasksLost: 1, idleReason: null },
  };
}

export function idleModel(): DisplayModel {
  const m = clusterModel();
  m.cluster.cpusUsedByUs = 0;
  m.cluster.memUsedByUsMb = 0;
  for (const a of m.cluster.agents) { a.cpusUsedByUs = 0; a.memUsedByUsMb = 0; }
  m.framework = { mode: 'mesos', subscribed: false, master: null, heartbeatAgeSeconds: null, tasksRunning: 0, tasksLost: 2, idleReason: 'no offers for 45s' };
  m.pi.termsPerSecond = 0;
  m.pi.nextDigitEtaSeconds = null;
  return m;
}

/** A capture stream that looks like a terminal or a pipe. */
import { Writable } from 'stream';
export class CaptureStream extends Writable {
  chunks: string[] = [];
  constructor(public isTTY: boolean) { super(); }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  get text(): string { return this.chunks.join(''); }
}

export { waitFor } from '../support/wait';

/** Deep in a run at 32 digits: more certified digits than any panel shows on one row. */
export function longDigitsModel(): DisplayModel {
  const m = clusterModel();
  m.pi = {
    certified: '3.1415926535897932384626433832', uncertain: '79502', termsDone: 1_234_567_890_123_456,
    termsComputed: 1_234_600_000_000_000, termsPerSecond: 9_870_000_000, nextDigitEtaSeconds: 86_400,
  };
  return m;
}

/**
 * The smallest cluster pi-mesos runs on: one Pi Zero (1 CPU; Mesos offers half of its 427 MB),
 * running one task (0.95 CPU, 32 MB) and its executor (0.05 CPU, 96 MB).
 */
export function piZeroModel(): DisplayModel {
  const m = clusterModel();
  m.cluster = {
    cpusTotal: 1, cpusUsedByUs: 1, cpusUsedByOthers: 0, memTotalMb: 213, memUsedByUsMb: 128, memUsedByOthersMb: 0,
    agents: [{ id: 'z1', hostname: 'pizero.local', online: true, cpusTotal: 1, cpusUsedByUs: 1, cpusUsedByOthers: 0, memTotalMb: 213, memUsedByUsMb: 128, memUsedByOthersMb: 0 }],
  };
  m.pi.termsPerSecond = 21_400_000;
  m.framework.tasksRunning = 1;
  return m;
}

/**
 * The largest: twenty Pi 5s with 8 GB (4 CPUs, ~6.9 GB offered each), four tasks on each but one
 * lost agent, and another framework using memory: every figure at its widest.
 */
export function pi5ClusterModel(): DisplayModel {
  const m = clusterModel();
  const agents = Array.from({ length: 20 }, (_, i) => {
    const online = i !== 13;
    return {
      id: `p${i + 1}`, hostname: `pi5-${String(i + 1).padStart(2, '0')}.cluster.lan`, online, cpusTotal: 4,
      cpusUsedByUs: online ? 3.85 : 0, cpusUsedByOthers: online && i % 4 === 0 ? 0.1 : 0,
      memTotalMb: 7065, memUsedByUsMb: online ? 224 : 0, memUsedByOthersMb: online && i % 4 === 0 ? 1800 : 0,
    };
  });
  const sum = (f: (a: (typeof agents)[number]) => number) => agents.reduce((n, a) => n + f(a), 0);
  m.cluster = {
    cpusTotal: sum((a) => a.cpusTotal), cpusUsedByUs: sum((a) => a.cpusUsedByUs), cpusUsedByOthers: sum((a) => a.cpusUsedByOthers),
    memTotalMb: sum((a) => a.memTotalMb), memUsedByUsMb: sum((a) => a.memUsedByUsMb), memUsedByOthersMb: sum((a) => a.memUsedByOthersMb),
    agents,
  };
  m.pi.termsPerSecond = 412_000_000_000;
  m.framework.tasksRunning = 76;
  return m;
}

/** The figures issue 12 quotes: 3.4G+4.7G of 15G on the cluster, 63M+408M of 24G on one agent. */
export function midClusterModel(): DisplayModel {
  const m = clusterModel();
  m.cluster.memUsedByUsMb = 3.4 * 1024;
  m.cluster.memUsedByOthersMb = 4.7 * 1024;
  m.cluster.memTotalMb = 15 * 1024;
  m.cluster.agents[0].memUsedByUsMb = 63;
  m.cluster.agents[0].memUsedByOthersMb = 408;
  m.cluster.agents[0].memTotalMb = 24 * 1024;
  return m;
}
