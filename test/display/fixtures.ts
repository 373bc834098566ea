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
