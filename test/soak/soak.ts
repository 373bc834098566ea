// The chaos soak (issue 14): the real daemon and executors on a real Mesos 1.12 loopback cluster
// registered in a real ZooKeeper, through a seeded schedule of overlapping faults; then the faults
// stop, the run is taken to a round term count, and its exact sum is compared with one computed
// here, in one piece, without faults. Shared by `make soak` (main.ts) and the suite's short run.
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags';
import { DEFAULT_PRECISION } from '../../src/daemon/config';
import { FrameworkState, PiFramework } from '../../src/framework/pi-framework';
import { certify } from '../../src/pi/certify';
import { scaleFor } from '../../src/pi/precision';
import { DAEMON } from '../support/daemon-process';
import { RealCluster, startRealCluster } from '../support/mesos/real-cluster';
import { uninterruptedSum } from '../support/pi-cluster';
import { seededRandom } from '../support/random';
import { referencePi } from '../support/reference-pi';
import { startZooKeeper, ZooKeeperServer } from '../support/zookeeper';
import { CutProxy } from './proxy';

export const FAULT_KINDS = [
  'agent-restart', 'agent-loss', 'executor-crash', 'master-failover', 'zk-expiry', 'zk-pause',
  'net-reset', 'net-silent', 'daemon-kill9', 'daemon-kill9-checkpoint', 'daemon-sigterm',
  'storage-full', 'storage-readonly', 'panel-gone',
] as const;
export type FaultKind = typeof FAULT_KINDS[number];

export interface SoakOptions {
  seed: number;
  /** Length of the fault phase. */
  minutes: number;
  agents?: number;
  /** Mean seconds between fault starts. */
  meanGapSeconds?: number;
  /** Fault-free seconds at the start, to measure the undisturbed rate. */
  warmupSeconds?: number;
  /** Executors' duty: keeps the independent check (one core, in-process) short, and the machine shared. */
  duty?: number;
  /** Where logs and the report stay (default: a fresh directory in the temp dir). */
  outDir?: string;
  say?: (line: string) => void;
  /** Aborted (Ctrl-C): the soak stops its faults and cleans up everything it started. */
  signal?: AbortSignal;
}

export interface ScheduledFault {
  at: number;
  kind: FaultKind;
  /** Seconds the fault lasts (where it has a duration). */
  seconds: number;
  /** Which agent / executor, as a fraction to pick with at run time. */
  pick: number;
  /** The daemon's --master for its next start: through the proxy, or ZooKeeper directly. */
  viaZk: boolean;
}

export interface SoakReport {
  seed: number;
  minutes: number;
  ok: boolean;
  failures: string[];
  outDir: string;
  faults: Record<string, number>;
  faultsSkipped: Record<string, number>;
  daemonStarts: number;
  daemonExits: Record<string, number>;
  clusterRestarts: Record<string, number>;
  requeues: { blamed: number; blameless: number; other: number };
  requeuesByFault: Record<string, number>;
  terms: number;
  termsInTasks: number;
  workEfficiency: number;
  warmupRate: number;
  overallRate: number;
  rateEfficiency: number;
  longestStallSeconds: number;
  longestStallAt: string;
  peakRssMb: number;
  logLines: Record<string, number>;
  warnings: Record<string, number>;
  certified: string;
  wallSeconds: number;
}

/** The fault schedule is drawn up front from the seed alone: the same seed, the same faults. */
export function schedule(seed: number, faultSeconds: number, warmupSeconds: number, meanGapSeconds: number): ScheduledFault[] {
  const rnd = seededRandom(seed);
  const out: ScheduledFault[] = [];
  const weights: Record<FaultKind, number> = {
    'agent-restart': 3, 'agent-loss': 2, 'executor-crash': 4, 'master-failover': 2, 'zk-expiry': 1, 'zk-pause': 1,
    'net-reset': 3, 'net-silent': 2, 'daemon-kill9': 3, 'daemon-kill9-checkpoint': 2, 'daemon-sigterm': 2,
    'storage-full': 2, 'storage-readonly': 2, 'panel-gone': 1,
  };
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  let t = warmupSeconds;
  for (;;) {
    t += -Math.log(1 - rnd()) * meanGapSeconds;
    if (t >= warmupSeconds + faultSeconds) break;
    let w = rnd() * total;
    let kind: FaultKind = FAULT_KINDS[0];
    for (const k of FAULT_KINDS) { w -= weights[k]; if (w < 0) { kind = k; break; } }
    const span: Partial<Record<FaultKind, [number, number]>> = {
      'agent-restart': [0, 5], 'agent-loss': [10, 40], 'master-failover': [0, 10], 'zk-expiry': [8, 15], 'zk-pause': [1, 4],
      'net-reset': [0.5, 10], 'net-silent': [5, 40], 'daemon-kill9': [0, 3], 'daemon-kill9-checkpoint': [0, 1],
      'daemon-sigterm': [0, 3], 'storage-full': [5, 30], 'storage-readonly': [5, 30], 'panel-gone': [5, 30],
    };
    const [lo, hi] = span[kind] ?? [0, 0];
    out.push({ at: t, kind, seconds: lo + rnd() * (hi - lo), pick: rnd(), viaZk: rnd() < 0.25 });
  }
  return out;
}

let abortSignal: AbortSignal | undefined;
const sleep = (ms: number): Promise<void> => new Promise((resolve, reject) => {
  if (abortSignal?.aborted) { reject(new Error('aborted')); return; }
  const onAbort = (): void => { clearTimeout(t); reject(new Error('aborted')); };
  const t = setTimeout(() => { abortSignal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  abortSignal?.addEventListener('abort', onAbort, { once: true });
});

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Processes whose working directory lies under `dir`: executors of our own agents only. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readlinkSync(`/proc/${e}/cwd`).startsWith(dir + '/')) pids.push(Number(e));
    } catch { /* gone, or not ours to read */ }
  }
  return pids;
}

function isExecutor(pid: number): boolean {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('executor/main.js'); } catch { return false; }
}

async function listenerPid(port: number): Promise<number> {
  const out = await sh('ss', ['-ltnpH', `sport = :${port}`]);
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`no process listens on port ${port}`);
  return Number(m[1]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function readState(stateDir: string): FrameworkState | undefined {
  try { return JSON.parse(fs.readFileSync(PiFramework.stateFile(stateDir), 'utf8')) as FrameworkState; } catch { return undefined; }
}

/** A warning or error reduced to its kind: ids, numbers and addresses made alike. */
export function lineKind(message: string): string {
  return message
    .replace(/pi\.\d+\.\d+\.\d+\.[0-9a-z]+/g, 'TASK')
    .replace(/pi-mesos-executor-[0-9a-f]+/g, 'EXECUTOR')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-S\d+|-\d+)?/g, 'ID')
    .replace(/\[\d+, \d+\)/g, '[RANGE)')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 160);
}

function bump(m: Record<string, number>, k: string, by = 1): void { m[k] = (m[k] ?? 0) + by; }

interface DaemonRun {
  child: ChildProcess;
  startedAt: number;
  /** Set when the soak itself stopped it (kill, SIGTERM): not a crash. */
  intended?: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  abortSignal = o.signal;
  const say = o.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const agents = o.agents ?? 3;
  const warmup = o.warmupSeconds ?? 45;
  const faultSeconds = o.minutes * 60;
  const plan = schedule(o.seed, faultSeconds, warmup, o.meanGapSeconds ?? 15);
  const outDir = o.outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `pi-soak-${o.seed}-`));
  fs.mkdirSync(outDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-soak-run-'));
  const stateDir = path.join(dir, 'state');
  const panelDir = path.join(dir, 'panel');
  const clusterDir = path.join(dir, 'cluster');
  fs.mkdirSync(clusterDir);
  // The cluster lives below: the task user (nobody) must reach its sandboxes.
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(stateDir);
  fs.mkdirSync(panelDir);
  const logFile = fs.openSync(path.join(outDir, 'daemon.log'), 'a');
  const events = fs.openSync(path.join(outDir, 'faults.log'), 'a');
  let t0 = Date.now();
  const stamp = (): string => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const note = (line: string): void => {
    fs.writeSync(events, `${new Date().toISOString()} ${stamp()} ${line}\n`);
    say(`soak ${stamp()} ${line}`);
  };

  const report: SoakReport = {
    seed: o.seed, minutes: o.minutes, ok: false, failures: [], outDir, faults: {}, faultsSkipped: {},
    daemonStarts: 0, daemonExits: {}, clusterRestarts: {}, requeues: { blamed: 0, blameless: 0, other: 0 },
    requeuesByFault: {}, terms: 0, termsInTasks: 0, workEfficiency: 0, warmupRate: 0, overallRate: 0,
    rateEfficiency: 0, longestStallSeconds: 0, longestStallAt: '', peakRssMb: 0, logLines: {}, warnings: {},
    certified: '', wallSeconds: 0,
  };
  const fail = (why: string): void => {
    report.failures.push(why);
    note(`FAILURE: ${why}`);
  };

  let zk: ZooKeeperServer | undefined;
  let zkPid = 0;
  let cluster: RealCluster | undefined;
  let proxy: CutProxy | undefined;
  let mounted = false;
  let daemon: DaemonRun | undefined;
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  // Components a fault holds down on purpose: the supervisor leaves them be.
  const held = new Set<string>();
  const busy = new Set<string>();
  let storageFault = false;
  let lastFault: { kind: string; at: number } | undefined;
  const tasksSeen = new Map<string, number>();

  try {
    zk = await startZooKeeper();
    zkPid = await listenerPid(zk.port);
    const zkUrl = `zk://${zk.connectString}/mesos`;
    cluster = await startRealCluster({
      agents,
      // Not under the default pi-mesos-real-* name: others' clean-ups of leftover test clusters
      // on this shared machine stopped one mid-soak.
      workDir: clusterDir,
      zk: zkUrl,
      resources: Object.fromEntries(Array.from({ length: agents }, (_, i) => [i + 1, 'cpus:2;mem:2048;disk:1000'])),
      // An agent gone for 6 s is unreachable (not 75 s), and a ZooKeeper pause of a few seconds
      // expires the master's session: both faults fit in a short soak.
      masterFlags: '--agent_ping_timeout=2secs --max_agent_ping_timeouts=3 --zk_session_timeout=4secs',
    });
    const c = cluster;
    note(`cluster up: master ${c.master}, ${agents} agents, ZooKeeper ${zk.connectString} (pid ${zkPid}), work ${c.workDir}`);
    proxy = new CutProxy(() => ({ host: '127.0.0.1', port: c.port }));
    const proxyPort = await proxy.start();
    const httpPort = await freePort();
    // A small tmpfs: a full disk and a read-only remount are then the soak's to make.
    await sh('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'pi-soak-state', stateDir]);
    mounted = true;

    let viaZk = false;
    let maxTerms: number | undefined;
    const daemonArgs = (): string[] => [
      '--master', viaZk ? zkUrl : `127.0.0.1:${proxyPort}`,
      '--display', `png:${path.join(panelDir, 'pi.png')}`, '--http', `127.0.0.1:${httpPort}`,
      '--state-dir', stateDir, '--executor-node', process.execPath, '--executor-duty', String(o.duty ?? 0.02),
      '--executor-idle-seconds', '60', '--target-task-seconds', '20', '--target-range-seconds', '2',
      '--failover-timeout', '1h', '--framework-name', `pi-mesos soak ${o.seed}`, '--log-level', 'debug',
      ...(maxTerms !== undefined ? ['--max-terms', String(maxTerms)] : []),
    ];

    const onLine = (line: string): void => {
      fs.writeSync(logFile, line + '\n');
      const m = /^\S+ (ERROR|WARN|NOTICE|INFO|DEBUG)\s+(.*)$/.exec(line);
      if (!m) { if (line.trim()) bump(report.logLines, 'unparsed'); return; }
      const [, level, msg] = m;
      bump(report.logLines, level);
      if (level === 'ERROR' || level === 'WARN') bump(report.warnings, `${level} ${lineKind(msg)}`);
      if (/requeued, attempt \d+ unchanged/.test(msg)) bump(report.requeues, 'blameless');
      else if (/requeued, attempt \d+/.test(msg)) bump(report.requeues, 'blamed');
      else if (/requeue|go back to the queue/.test(msg)) bump(report.requeues, 'other');
      if (/requeue|go back to the queue/.test(msg) && lastFault && Date.now() - lastFault.at < 60_000) bump(report.requeuesByFault, lastFault.kind);
      const run = /^task (pi\.\d+\.(\d+)\.\d+\.[0-9a-z]+) running on agent/.exec(msg);
      if (run) tasksSeen.set(run[1], Number(run[2]));
      if (/disagrees with the one already counted/.test(msg)) fail(`a result disagreed with the one counted: ${msg}`);
    };

    const startDaemon = (): DaemonRun => {
      const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, DAEMON, ...daemonArgs()], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      report.daemonStarts++;
      for (const s of [child.stdout!, child.stderr!]) {
        let buf = '';
        s.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) onLine(l);
        });
      }
      const run: DaemonRun = {
        child, startedAt: Date.now(),
        exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
      };
      void run.exit.then(({ code, signal }) => {
        const what = run.intended ?? (code === 0 && maxTerms !== undefined ? 'finished' : `unexpected exit ${code ?? signal}`);
        bump(report.daemonExits, what);
        if (!run.intended && !(code === 0 && maxTerms !== undefined)) {
          // Under systemd it would be restarted, but five times in five minutes end the unit: no
          // fault here, a full or read-only state directory included, may end the daemon.
          fail(`the daemon exited by itself (${code ?? signal}) at ${stamp()}${storageFault ? ' during a storage fault' : ''}; see ${path.join(outDir, 'daemon.log')}`);
        }
      });
      return run;
    };

    const stopDaemon = async (signal: NodeJS.Signals, why: string): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> => {
      const d = daemon;
      if (!d || d.child.exitCode !== null || d.child.signalCode !== null) return undefined;
      d.intended = why;
      d.child.kill(signal);
      const t = setTimeout(() => d.child.kill('SIGKILL'), 60_000);
      const e = await d.exit;
      clearTimeout(t);
      return e;
    };

    // Warm-up, schedule and rates count from the daemon's start, not the cluster's.
    t0 = Date.now();
    daemon = startDaemon();

    // Supervisor: what systemd does for the daemon, and an init system for the cluster's parts.
    let lastRestart = 0;
    timers.push(setInterval(() => {
      if (stopping) return;
      try { supervise(); } catch (e) { note(`supervisor: ${(e as Error).message}`); }
    }, 500));
    const supervise = (): void => {
      if (!held.has('master') && !alive(c.masterPid())) {
        held.add('master');
        bump(report.clusterRestarts, 'master (exited by itself)');
        note('master exited by itself (lost leadership?): restarting it');
        void c.restartMaster().finally(() => held.delete('master'));
      }
      for (let i = 1; i <= agents; i++) {
        if (!held.has(`agent${i}`) && !alive(c.agentPid(i))) {
          held.add(`agent${i}`);
          bump(report.clusterRestarts, 'agent (exited by itself)');
          note(`agent ${i} exited by itself: restarting it`);
          void c.restartAgent(i).finally(() => held.delete(`agent${i}`));
        }
      }
      const d = daemon;
      if (!held.has('daemon') && d && d.child.exitCode === null && d.child.signalCode === null) return;
      if (!held.has('daemon') && d && Date.now() - lastRestart > 1000) {
        lastRestart = Date.now();
        daemon = startDaemon();
      }
    };

    // Progress, stalls and memory, once a second.
    let lastPrefix = 0;
    let lastProgressAt = Date.now();
    let warmupEndPrefix: number | undefined;
    timers.push(setInterval(() => {
      const s = readState(stateDir);
      const now = Date.now();
      // Progress is any finished range, in the prefix or ahead of it: the prefix waits for the slowest.
      const computed = s ? s.ledger.prefixEnd + s.ledger.ahead.reduce((a, r) => a + r.count, 0) : 0;
      if (computed > lastPrefix) {
        lastPrefix = computed;
        lastProgressAt = now;
      }
      const stall = (now - lastProgressAt) / 1000;
      if (stall > report.longestStallSeconds && !stopping) {
        report.longestStallSeconds = stall;
        report.longestStallAt = `ended ${stamp()}`;
      }
      if (warmupEndPrefix === undefined && now - t0 >= warmup * 1000) {
        warmupEndPrefix = lastPrefix;
        report.warmupRate = lastPrefix / ((now - t0) / 1000);
        note(`warm-up done: ${lastPrefix} terms, ${(report.warmupRate / 1e9).toFixed(2)} G terms/s undisturbed`);
      }
      const pid = daemon?.child.pid;
      if (pid && alive(pid)) {
        try {
          const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
          const hwm = /VmHWM:\s+(\d+) kB/.exec(st);
          if (hwm) report.peakRssMb = Math.max(report.peakRssMb, Number(hwm[1]) / 1024);
        } catch { /* exited meanwhile */ }
      }
    }, 1000));

    // Arms a kill -9 for the moment the daemon next creates its checkpoint's temp file.
    const killDuringCheckpoint = async (): Promise<boolean> => {
      const d = daemon;
      if (!d) return false;
      return new Promise<boolean>((resolve) => {
        let watcher: fs.FSWatcher | undefined;
        const done = (hit: boolean): void => { watcher?.close(); clearTimeout(t); resolve(hit); };
        const t = setTimeout(() => done(false), 30_000);
        try {
          watcher = fs.watch(stateDir, (_e, name) => {
            if (name && String(name).endsWith('.tmp')) {
              d.intended = 'kill -9 during a checkpoint write';
              d.child.kill('SIGKILL');
              done(true);
            }
          });
        } catch { done(false); }
      });
    };

    const fillFile = path.join(stateDir, '.soak-filler');
    const inject = async (f: ScheduledFault): Promise<void> => {
      const ms = f.seconds * 1000;
      const agent = 1 + Math.floor(f.pick * agents);
      const lock = (name: string): boolean => {
        if (busy.has(name)) { bump(report.faultsSkipped, f.kind); return false; }
        busy.add(name);
        return true;
      };
      const claim = {
        'agent-restart': `agent${agent}`, 'agent-loss': `agent${agent}`, 'executor-crash': 'none', 'master-failover': 'master',
        'zk-expiry': 'zk', 'zk-pause': 'zk', 'net-reset': 'net', 'net-silent': 'net', 'daemon-kill9': 'daemon',
        'daemon-kill9-checkpoint': 'daemon', 'daemon-sigterm': 'daemon', 'storage-full': 'storage', 'storage-readonly': 'storage',
        'panel-gone': 'panel',
      }[f.kind];
      if (claim !== 'none' && !lock(claim)) return;
      bump(report.faults, f.kind);
      lastFault = { kind: f.kind, at: Date.now() };
      try {
        switch (f.kind) {
          case 'agent-restart':
            held.add(claim);
            note(`agent ${agent}: kill -9, restart in ${f.seconds.toFixed(1)} s (executors live on, checkpointed)`);
            await c.killAgent(agent);
            await sleep(ms);
            await c.restartAgent(agent);
            break;
          case 'agent-loss': {
            held.add(claim);
            await c.killAgent(agent);
            const execs = processesUnder(path.join(c.workDir, `agent${agent}`));
            for (const p of execs) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
            note(`agent ${agent}: lost with its ${execs.length} executor processes for ${f.seconds.toFixed(1)} s (a reboot)`);
            await sleep(ms);
            await c.restartAgent(agent);
            break;
          }
          case 'executor-crash': {
            const execs = processesUnder(c.workDir).filter(isExecutor);
            if (execs.length === 0) { note('executor crash: no executor running'); break; }
            const victim = execs[Math.floor(f.pick * execs.length)];
            try { process.kill(victim, 'SIGKILL'); } catch { /* gone */ }
            note(`executor pid ${victim}: kill -9 (of ${execs.length})`);
            break;
          }
          case 'master-failover':
            held.add(claim);
            note(`master: kill -9, restart in ${f.seconds.toFixed(1)} s (ZooKeeper re-election)`);
            await c.killMaster();
            await sleep(ms);
            await c.restartMaster();
            break;
          case 'zk-expiry':
          case 'zk-pause':
            note(`ZooKeeper: paused ${f.seconds.toFixed(1)} s${f.kind === 'zk-expiry' ? ' (sessions expire)' : ''}`);
            process.kill(zkPid, 'SIGSTOP');
            try { await sleep(ms); } finally { process.kill(zkPid, 'SIGCONT'); }
            break;
          case 'net-reset':
          case 'net-silent':
            note(`network daemon→master: ${f.kind === 'net-reset' ? 'reset' : 'silent'} for ${f.seconds.toFixed(1)} s (${proxy!.connections} connections)`);
            proxy!.setMode(f.kind === 'net-reset' ? 'reset' : 'silent');
            try { await sleep(ms); } finally { proxy!.setMode('open'); }
            break;
          case 'daemon-kill9':
          case 'daemon-sigterm':
          case 'daemon-kill9-checkpoint': {
            held.add(claim);
            if (f.kind === 'daemon-kill9-checkpoint') {
              const hit = await killDuringCheckpoint();
              note(hit ? 'daemon: kill -9 during a checkpoint write' : 'daemon: no checkpoint write within 30 s; not killed');
              if (!hit) break;
              await daemon!.exit;
            } else {
              const sig = f.kind === 'daemon-kill9' ? 'SIGKILL' : 'SIGTERM';
              const e = await stopDaemon(sig, f.kind === 'daemon-kill9' ? 'kill -9' : 'SIGTERM');
              note(`daemon: ${sig}, exited ${e ? e.code ?? e.signal : 'already'}; restart in ${f.seconds.toFixed(1)} s`);
              if (sig === 'SIGTERM' && e && e.code !== 0) fail(`the daemon exited ${e.code ?? e.signal} on SIGTERM, not 0`);
            }
            await sleep(ms);
            viaZk = f.viaZk;
            daemon = startDaemon();
            break;
          }
          case 'storage-full': {
            storageFault = true;
            note(`state directory: full for ${f.seconds.toFixed(1)} s`);
            try { fs.writeFileSync(fillFile, Buffer.alloc(2 << 20)); } catch { /* ENOSPC: that is the point */ }
            await sleep(ms);
            fs.rmSync(fillFile, { force: true });
            storageFault = false;
            break;
          }
          case 'storage-readonly':
            storageFault = true;
            note(`state directory: read-only for ${f.seconds.toFixed(1)} s`);
            await sh('mount', ['-o', 'remount,ro', stateDir]);
            try { await sleep(ms); } finally {
              await sh('mount', ['-o', 'remount,rw', stateDir]);
                storageFault = false;
            }
            break;
          case 'panel-gone':
            note(`panel: its directory removed for ${f.seconds.toFixed(1)} s`);
            fs.rmSync(panelDir, { recursive: true, force: true });
            await sleep(ms);
            fs.mkdirSync(panelDir, { recursive: true });
            break;
        }
      } catch (e) {
        fail(`fault ${f.kind} could not be injected or healed: ${(e as Error).message}`);
      } finally {
        held.delete(claim);
        busy.delete(claim);
      }
    };

    note(`seed ${o.seed}: ${plan.length} faults over ${o.minutes} min after ${warmup} s of warm-up`);
    const running: Promise<void>[] = [];
    for (const f of plan) {
      const wait = t0 + f.at * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      running.push(inject(f));
    }
    const faultPhaseEnd = t0 + (warmup + faultSeconds) * 1000;
    if (faultPhaseEnd > Date.now()) await sleep(faultPhaseEnd - Date.now());
    await Promise.all(running);
    note('faults over: waiting for every agent to be active');

    // Healed: the whole cluster registered again before the final stretch.
    const deadline = Date.now() + 300_000;
    for (;;) {
      const s = await getJson(`http://127.0.0.1:${c.port}/state`).catch(() => undefined) as { leader?: string; slaves?: { active: boolean }[] } | undefined;
      if (s?.leader && s.slaves && s.slaves.filter((a) => a.active).length === agents) break;
      if (Date.now() > deadline) { fail('the cluster did not come back within 5 minutes of the last fault'); break; }
      await sleep(1000);
    }
    // The final stretch: a round term count a little beyond every range handed out so far.
    held.add('daemon');
    await stopDaemon('SIGTERM', 'SIGTERM for the final stretch');
    const before = readState(stateDir);
    if (!before) throw new Error('no state file after the fault phase');
    const frontier = Math.max(before.ledger.frontier, 1);
    // Round in binary: ranges past 2^21 terms are whole groups of 16384, so a decimal count is no end.
    const unit = 2 ** Math.max(14, Math.floor(Math.log2(frontier)) - 3);
    maxTerms = (Math.floor(frontier / unit) + 1) * unit;
    note(`final stretch: frontier ${frontier}, prefix ${before.ledger.prefixEnd}; running to --max-terms ${maxTerms}`);
    viaZk = false;
    daemon = startDaemon();
    const finalRun = daemon;
    const budget = 600_000;
    const end = await Promise.race([finalRun.exit, sleep(budget).then(() => undefined)]);
    if (!end) fail(`the daemon did not reach ${maxTerms} terms within ${budget / 1000} s after the faults`);
    else if (end.code !== 0) fail(`the daemon's final run exited ${end.code ?? end.signal}`);
    stopping = true;
    report.wallSeconds = (Date.now() - t0) / 1000;

    const s = readState(stateDir);
    if (s && end?.code === 0) {
      report.terms = s.ledger.prefixEnd;
      if (s.ledger.prefixEnd !== maxTerms) fail(`prefix ends at ${s.ledger.prefixEnd}, not ${maxTerms}`);
      if (s.ledger.inFlight.length || s.ledger.queue.length) fail('ranges left in flight or queued at the end');
      note(`summing [0, ${maxTerms}) here, in one piece`);
      const whole = uninterruptedSum(maxTerms);
      if (s.ledger.prefixValue !== whole.value.toString()) fail(`the sum differs from the fault-free one: ${s.ledger.prefixValue} ≠ ${whole.value}`);
      if (s.ledger.prefixErrUnits !== whole.errUnits.toString()) fail(`the error bound differs: ${s.ledger.prefixErrUnits} ≠ ${whole.errUnits}`);
      const cert = certify(s.ledger.prefixEnd, BigInt(s.ledger.prefixValue), BigInt(s.ledger.prefixErrUnits), scaleFor(DEFAULT_PRECISION).bits);
      report.certified = cert.certified;
      const ref = referencePi(DEFAULT_PRECISION + 10);
      if (!cert.certified || !ref.startsWith(cert.certified)) fail(`certified digits ${cert.certified} are not a prefix of π ${ref}`);
      else note(`exact: ${maxTerms} terms equal the fault-free sum; certified ${cert.certified}`);
    }
  } catch (e) {
    fail(`soak aborted: ${(e as Error).stack ?? e}`);
  } finally {
    stopping = true;
    for (const t of timers) clearInterval(t);
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.intended = 'end of the soak';
      daemon.child.kill('SIGKILL');
      await daemon.exit;
    }
    try { if (zkPid) process.kill(zkPid, 'SIGCONT'); } catch { /* gone */ }
    await proxy?.stop().catch(() => undefined);
    if (cluster) {
      // Kept for a post-mortem; copied before the cluster's directory goes.
      const logs = path.join(cluster.workDir, 'logs');
      fs.mkdirSync(path.join(outDir, 'mesos-logs'), { recursive: true });
      for (const f of fs.existsSync(logs) ? fs.readdirSync(logs).filter((n) => n.endsWith('.out')) : []) {
        fs.copyFileSync(path.join(logs, f), path.join(outDir, 'mesos-logs', f));
      }
      await cluster.stop().catch(() => undefined);
    }
    await zk?.stop().catch(() => undefined);
    if (mounted) await sh('umount', ['-l', stateDir]).catch((e) => say(`umount failed: ${(e as Error).message}`));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.closeSync(logFile);
    fs.closeSync(events);
  }
  report.termsInTasks = [...tasksSeen.values()].reduce((a, b) => a + b, 0);
  report.workEfficiency = report.termsInTasks ? report.terms / report.termsInTasks : 0;
  report.overallRate = report.wallSeconds ? report.terms / report.wallSeconds : 0;
  report.rateEfficiency = report.warmupRate ? report.overallRate / report.warmupRate : 0;
  report.ok = report.failures.length === 0;
  fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2));
  return report;
}

export function formatReport(r: SoakReport): string {
  const lines: string[] = [];
  const table = (title: string, m: Record<string, number>): void => {
    lines.push(`${title}:`);
    const entries = Object.entries(m).sort((a, b) => b[1] - a[1]);
    if (entries.length === 0) lines.push('  (none)');
    for (const [k, v] of entries) lines.push(`  ${String(v).padStart(6)}  ${k}`);
  };
  lines.push(`soak ${r.ok ? 'PASSED' : 'FAILED'}: seed ${r.seed}, ${r.minutes} min of faults, ${r.wallSeconds.toFixed(0)} s in all`);
  table('faults injected', r.faults);
  table('faults skipped (their target was busy with another fault)', r.faultsSkipped);
  lines.push(`daemon starts: ${r.daemonStarts}`);
  table('daemon exits', r.daemonExits);
  table('cluster processes restarted by the supervisor', r.clusterRestarts);
  lines.push(`ranges requeued: ${r.requeues.blamed} blamed (attempt raised), ${r.requeues.blameless} blameless, ${r.requeues.other} other`);
  table('requeues within 60 s of a fault of kind', r.requeuesByFault);
  lines.push(`terms: ${r.terms} exact; ${r.termsInTasks} in tasks that ran (work efficiency ${(100 * r.workEfficiency).toFixed(1)}%)`);
  lines.push(`rate: ${(r.overallRate / 1e9).toFixed(3)} G terms/s over the run vs ${(r.warmupRate / 1e9).toFixed(3)} undisturbed (${(100 * r.rateEfficiency).toFixed(1)}%)`);
  lines.push(`longest time without progress: ${r.longestStallSeconds.toFixed(0)} s (${r.longestStallAt})`);
  lines.push(`daemon peak RSS: ${r.peakRssMb.toFixed(1)} MB`);
  table('log lines by level', r.logLines);
  table('warnings and errors by kind', r.warnings);
  lines.push(`certified: ${r.certified}`);
  for (const f of r.failures) lines.push(`FAILURE: ${f}`);
  if (!r.ok) lines.push(`replay: make soak SEED=${r.seed} MINUTES=${r.minutes}`);
  lines.push(`logs: ${r.outDir}`);
  return lines.join('\n');
}
