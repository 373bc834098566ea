import { promises as fs } from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { startPiTestBed, writeExecutorLauncher } from '../support/pi-cluster';
import type { TaskStatus } from '../../src/mesos/types';
import type { TestAgent } from '../support/mesos/agent';
import { realMesosUnavailableReason, startRealCluster } from '../support/mesos/real-cluster';

// Cluster efficiency with 4 agents × 4 CPUs, on the test master and on a real Mesos 1.12: the
// CPU-seconds tasks hold their CPU while running (from TASK_RUNNING to their end, or the end of
// the window) over the CPU-seconds offered (16 CPUs from the first offer to the end of the
// window). A task of several ranges computes without a pause from its first range to its last,
// so what is lost is the gap between one task's end and the next one's start on that CPU: the
// master's allocation interval plus the launch, paid once per task.

const CPUS = 16;

interface TaskSpan { start: number; end?: number }

interface Measure {
  efficiency: number;
  /** From the moment every agent runs its first task: the launch path without start-up. */
  steady: number;
  ranges: number;
  tasks: number;
  daemonCpuPerRangeMs: number;
  daemonPeakRssMb: number;
  termsPerSecond: number;
}

/** utime + stime of a process in seconds, from /proc (clock ticks are 100/s on Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The daemon's HTTP address, from its start-up line. */
async function daemonHttp(d: RunningDaemon): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /HTTP endpoints on (http:\/\/[^/\s]+)\//.exec(d.output());
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no HTTP address in the daemon's log:\n${d.output()}`);
}

/** When the daemon saw its first offer: its first offer line (debug) carries a timestamp. */
function firstOfferAt(output: string): number {
  const m = /^(\S+) DEBUG\s+(?:declining offer|launched \d+ tasks on)/m.exec(output);
  if (!m) throw new Error(`no offer line in the daemon's log:\n${output.slice(-3000)}`);
  return Date.parse(m[1]);
}

function occupancy(spans: Iterable<TaskSpan>, from: number, to: number): number {
  let busy = 0;
  for (const s of spans) busy += Math.max(0, Math.min(s.end ?? to, to) - Math.max(s.start, from));
  return busy / (CPUS * (to - from));
}

async function finishDaemon(d: RunningDaemon, httpBase: string, seconds: number, t0: number): Promise<{ cpu: number; rss: number; ranges: number; prefixEnd: number }> {
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + seconds * 1000 - Date.now())));
  const metrics = await get(`${httpBase}/metrics`);
  const cpu = await cpuSeconds(d.child.pid!);
  const rss = await peakRssMb(d.child.pid!);
  const ranges = Number(/^pi_mesos_ranges_finished_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  const prefixEnd = Number(/^pi_mesos_terms_done (\d+)/m.exec(metrics)?.[1] ?? 0);
  return { cpu, rss, ranges, prefixEnd };
}

/** On the test master: spans from the status updates the master forwards. */
async function onDouble(seconds: number, allocationIntervalMs: number, extra: string[]): Promise<Measure> {
  const agentSpecs = Array.from({ length: 4 }, () => ({ cpus: 4, mem: 4096, duty: 1 }));
  const bed = await startPiTestBed({ allocationIntervalMs, heartbeatIntervalSeconds: 15, statusUpdateRetryMs: 10_000 }, agentSpecs);
  const spans = new Map<string, TaskSpan>();
  const firstRunning = new Map<string, number>();
  const original = bed.cluster.statusUpdate.bind(bed.cluster);
  bed.cluster.statusUpdate = (agent: TestAgent, frameworkId: string, status: TaskStatus): void => {
    const id = status.task_id.value;
    const t = Date.now();
    if (status.state === 'TASK_RUNNING' && !spans.has(id)) {
      spans.set(id, { start: t });
      if (!firstRunning.has(agent.id)) firstRunning.set(agent.id, t);
    } else if (!['TASK_RUNNING', 'TASK_STARTING', 'TASK_STAGING'].includes(status.state) && spans.has(id) && spans.get(id)!.end === undefined) {
      spans.get(id)!.end = t;
    }
    original(agent, frameworkId, status);
  };
  try {
    // A run without end (no --max-terms), with the daemon's defaults but for what the row sets.
    const d = startDaemon([
      '--master', bed.cluster.masterSpec, '--executor', `command:${bed.launcher}`, '--display', 'none', '--http', '127.0.0.1:0',
      '--state-dir', bed.stateDir, '--log-level', 'debug', ...extra,
    ]);
    const t0 = Date.now();
    const base = await daemonHttp(d);
    const end = await finishDaemon(d, base, seconds, t0);
    const t1 = Date.now();
    d.child.kill('SIGTERM');
    await d.exited;
    const from = firstOfferAt(d.output());
    return {
      efficiency: occupancy(spans.values(), from, t1),
      steady: occupancy(spans.values(), Math.max(...firstRunning.values()), t1),
      ranges: end.ranges, tasks: spans.size,
      daemonCpuPerRangeMs: (end.cpu * 1000) / Math.max(1, end.ranges), daemonPeakRssMb: end.rss,
      termsPerSecond: end.prefixEnd / seconds,
    };
  } finally {
    await bed.cleanup();
  }
}

/** On a real Mesos 1.12 (../shared/real-mesos): spans from the master's task statuses. */
async function onRealMesos(seconds: number, extra: string[]): Promise<Measure> {
  const cluster = await startRealCluster({ agents: 4, resources: { 1: 'cpus:4;mem:4096', 2: 'cpus:4;mem:4096', 3: 'cpus:4;mem:4096', 4: 'cpus:4;mem:4096' } });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-bench-real-'));
  await fs.chmod(dir, 0o755);
  try {
    const launcher = await writeExecutorLauncher(dir);
    const d = startDaemon([
      '--master', cluster.master, '--executor', `command:${launcher}`, '--display', 'none', '--http', '127.0.0.1:0',
      '--state-dir', path.join(dir, 'state'), '--log-level', 'debug', '--framework-name', 'pi-mesos bench', ...extra,
    ]);
    const t0 = Date.now();
    const base = await daemonHttp(d);
    const end = await finishDaemon(d, base, seconds, t0);
    const t1 = Date.now();
    const state = JSON.parse(await get(`http://${cluster.master}/master/tasks?limit=100000`)) as {
      tasks: { id: string; slave_id: string; statuses: { state: string; timestamp: number }[] }[];
    };
    d.child.kill('SIGKILL'); // SIGTERM would leave the framework running; it is torn down with the cluster
    await d.exited;
    const spans: TaskSpan[] = [];
    const firstRunning = new Map<string, number>();
    for (const t of state.tasks) {
      const running = t.statuses.find((s) => s.state === 'TASK_RUNNING');
      if (!running) continue;
      const ended = t.statuses.find((s) => !['TASK_RUNNING', 'TASK_STARTING', 'TASK_STAGING'].includes(s.state));
      const start = running.timestamp * 1000;
      spans.push({ start, end: ended ? ended.timestamp * 1000 : undefined });
      firstRunning.set(t.slave_id, Math.min(firstRunning.get(t.slave_id) ?? Infinity, start));
    }
    const from = firstOfferAt(d.output());
    return {
      efficiency: occupancy(spans, from, t1),
      steady: occupancy(spans, Math.max(...firstRunning.values()), t1),
      ranges: end.ranges, tasks: spans.length,
      daemonCpuPerRangeMs: (end.cpu * 1000) / Math.max(1, end.ranges), daemonPeakRssMb: end.rss,
      termsPerSecond: end.prefixEnd / seconds,
    };
  } finally {
    await cluster.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function rate(x: number): string {
  return x >= 1e9 ? `${(x / 1e9).toFixed(1)}G` : x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : `${(x / 1e3).toFixed(1)}k`;
}

export async function run(log: (line: string) => void): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const long = quick ? 20 : 60;
  const short = quick ? 8 : 20;
  const real = realMesosUnavailableReason();
  log('## cluster: 4 agents × 4 CPUs (16 CPUs offered; this machine has 2 cores, so each task computes slower than on a Pi)');
  log('design                                          master          alloc  window  efficiency  steady state  tasks  ranges  daemon CPU/range  peak RSS  terms/s');
  type Row = [string, 'double' | 'real', number, number, string[]];
  const rows: Row[] = [
    ['pi-mesos: 300 s tasks of 10 s ranges (default)', 'double', 50, long, []],
    ['pi-mesos: 300 s tasks of 10 s ranges (default)', 'double', 1000, long, []],
    ['pi-mesos: 300 s tasks of 10 s ranges (default)', 'real', 1000, long, []],
    ['before: one 10 s range per task', 'double', 50, long, ['--target-task-seconds', '10', '--target-range-seconds', '10']],
    ['before: one 10 s range per task', 'double', 1000, long, ['--target-task-seconds', '10', '--target-range-seconds', '10']],
    ['before: one 10 s range per task', 'real', 1000, long, ['--target-task-seconds', '10', '--target-range-seconds', '10']],
    ['seed-like: one task per 32 terms', 'double', 50, short, ['--max-task-terms', '32', '--target-task-seconds', '1', '--target-range-seconds', '1']],
  ];
  for (const [name, where, alloc, secs, extra] of rows) {
    const label = where === 'real' ? 'real Mesos 1.12' : 'test double';
    if (where === 'real' && real) {
      log(`${name.padEnd(47)} ${label.padEnd(15)} skipped: ${real}`);
      continue;
    }
    const m = where === 'real' ? await onRealMesos(secs, extra) : await onDouble(secs, alloc, extra);
    log(`${name.padEnd(47)} ${label.padEnd(15)} ${String(alloc).padStart(5)} ms ${String(secs).padStart(4)} s ${(m.efficiency * 100).toFixed(2).padStart(9)}% ${(m.steady * 100).toFixed(2).padStart(12)}% ${String(m.tasks).padStart(6)} ${String(m.ranges).padStart(7)} ${m.daemonCpuPerRangeMs.toFixed(2).padStart(13)} ms ${m.daemonPeakRssMb.toFixed(0).padStart(6)} MB ${rate(m.termsPerSecond).padStart(8)}`);
  }
  log('efficiency: CPU-seconds held by running tasks / CPU-seconds offered (16 CPUs, from the first offer to the end of the window);');
  log('steady state: the same from the moment every agent runs its first task. The real Mesos allocates every second (its default).');
  log('targets: efficiency ≥ 99.5% at both intervals, steady state ≥ 99.8%, daemon CPU per range ≤ 10 ms, peak RSS ≤ 60 MB');
}
