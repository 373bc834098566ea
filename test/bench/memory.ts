// The daemon's memory in Mesos mode (`make bench memory`): peak RSS (VmHWM) and its parts, by
// display kind and Node flags, on the test master with 4 agents × 4 CPUs and ranges of 0.5 s, so
// that status updates stream in (a stream of updates is what grew the RSS before
// --max-semi-space-size=1). The executors run at a low duty: memory is the measure here, not
// speed, and the machine stays free for the daemon.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startDaemon } from '../support/daemon-process';
import { httpGet } from '../support/http-get';
import { startPiTestBed } from '../support/pi-cluster';

interface Memory { peakMb: number; anonMb: number; fileMb: number; cpuSeconds: number; ranges: number }

async function status(pid: number): Promise<{ peak: number; anon: number; file: number }> {
  const s = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (f: string) => Number(new RegExp(`${f}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) / 1024;
  return { peak: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(seconds: number, display: (dir: string) => string, env: NodeJS.ProcessEnv): Promise<Memory> {
  const bed = await startPiTestBed({ allocationIntervalMs: 1000, heartbeatIntervalSeconds: 15, statusUpdateRetryMs: 10_000 },
    Array.from({ length: 4 }, () => ({ cpus: 4, mem: 4096, duty: 0.05 })));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-bench-memory-'));
  try {
    const d = startDaemon([
      '--master', bed.cluster.masterSpec, '--executor', `command:${bed.launcher}`, '--display', display(dir), '--http', '127.0.0.1:0',
      '--state-dir', bed.stateDir, '--target-range-seconds', '0.5',
    ], env);
    let base: string | undefined;
    for (let i = 0; i < 400 && !base; i++) {
      base = /HTTP endpoints on (http:\/\/[^/\s]+)\//.exec(d.output())?.[1];
      if (!base) await new Promise((r) => setTimeout(r, 50));
    }
    if (!base) throw new Error(`no HTTP address in the daemon's log:\n${d.output()}`);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const metrics = await httpGet(`${base}/metrics`);
    const ranges = Number(/^pi_mesos_ranges_finished_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    const m = await status(d.child.pid!);
    const cpu = await cpuSeconds(d.child.pid!);
    d.child.kill('SIGTERM');
    await d.exited;
    return { peakMb: m.peak, anonMb: m.anon, fileMb: m.file, cpuSeconds: cpu, ranges };
  } finally {
    await bed.cleanup();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function run(log: (line: string) => void): Promise<void> {
  const seconds = process.env.BENCH_QUICK === '1' ? 20 : 60;
  log(`## daemon memory in Mesos mode: test master, 4 agents × 4 CPUs, 0.5 s ranges, ${seconds} s; --max-semi-space-size=1 always`);
  log('display   NODE_OPTIONS  peak RSS  anon at end  file-backed at end  ranges  daemon CPU in the window');
  const rows: [string, (dir: string) => string, NodeJS.ProcessEnv][] = [
    ['none', () => 'none', {}],
    ['none', () => 'none', { NODE_OPTIONS: '--jitless' }],
    ['png', (dir) => `png:${path.join(dir, 'panel.png')}`, {}],
    ['png', (dir) => `png:${path.join(dir, 'panel.png')}`, { NODE_OPTIONS: '--jitless' }],
  ];
  for (const [name, display, env] of rows) {
    const m = await measure(seconds, display, env);
    log(`${name.padEnd(9)} ${(env.NODE_OPTIONS ?? '-').padEnd(13)} ${m.peakMb.toFixed(1).padStart(6)} MB ${m.anonMb.toFixed(1).padStart(8)} MB ${m.fileMb.toFixed(1).padStart(15)} MB ${String(m.ranges).padStart(7)} ${m.cpuSeconds.toFixed(2).padStart(12)} s`);
  }
  log('anon: heap, stacks and buffers; file-backed: pages mapped from files, nearly all the node binary (shared with any other');
  log('Node process, and reclaimable). The CPU includes start-up and the display; ranges vary with the machine\'s load.');
  log('Goal (issue 13): peak RSS ≤ 60 MB.');
}
