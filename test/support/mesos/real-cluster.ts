// A real Mesos 1.12 cluster on loopback for the tests, from ../shared/real-mesos (start-cluster.sh /
// stop-cluster.sh). One master and N agents on a free port range; the cluster's state, logs and pids
// live in a fresh work directory. Use realMesosAvailable() to skip a suite (with its reason) when the
// tarball is missing or we do not run as root (agents switch to the task's user).
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REAL_MESOS_DIR = process.env.PI_MESOS_REAL_MESOS_DIR
  ?? path.resolve(__dirname, '../../../../../shared/real-mesos');

/** Why a real cluster cannot run here, or undefined when it can. */
export function realMesosUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'real Mesos runs on Linux only';
  if (!fs.existsSync(path.join(REAL_MESOS_DIR, 'start-cluster.sh'))
    || !fs.readdirSync(REAL_MESOS_DIR).some((f) => /^mesos-.*\.tar\.xz$/.test(f))) {
    return `no real Mesos tarball in ${REAL_MESOS_DIR}`;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root (agents switch users)';
  return undefined;
}

export function realMesosAvailable(): boolean {
  return realMesosUnavailableReason() === undefined;
}

export interface RealClusterOptions {
  agents?: number;
  /** Per agent (1-based): its --resources, e.g. 'cpus(pi):2;mem(pi):2048;cpus:2;mem:2048'. */
  resources?: Record<number, string>;
  /** Per agent (1-based): its --executor_environment_variables. */
  env?: Record<number, Record<string, string>>;
  /** zk://host:port/path: register the master in ZooKeeper (replicated log registry). */
  zk?: string;
  masterFlags?: string;
  agentFlags?: string;
  /** Where to keep the cluster (default: a fresh temp directory). */
  workDir?: string;
}

export interface RealCluster {
  /** host:port of the master. */
  master: string;
  workDir: string;
  port: number;
  agents: number;
  /** Agent i's address (1-based): 127.0.0.1:port+i. */
  agentAddress(i: number): string;
  agentPid(i: number): number;
  masterPid(): number;
  /** SIGKILL agent i (its executors live on, as after a crash). */
  killAgent(i: number): Promise<void>;
  /** Start agent i again with its last command line and work directory (recovery). Kills it first if it runs. */
  restartAgent(i: number): Promise<void>;
  /** SIGKILL the master. */
  killMaster(): Promise<void>;
  /** Start the master again with its last command line (kills it first if it runs). */
  restartMaster(): Promise<void>;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    let ok = true;
    for (let p = base; p <= base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free port range for a real Mesos cluster');
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function waitGone(pid: number, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

function readPid(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

export async function startRealCluster(opts: RealClusterOptions = {}): Promise<RealCluster> {
  const reason = realMesosUnavailableReason();
  if (reason) throw new Error(`real Mesos unavailable: ${reason}`);
  const agents = opts.agents ?? 2;
  const workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-real-'));
  // The fetcher and executors run as the task's user (nobody by default): the sandboxes below
  // must be reachable for it, as /var/lib/mesos is on a real agent (mkdtemp makes 0700).
  fs.chmodSync(workDir, 0o755);
  const port = await freePortRange(agents);
  const env: NodeJS.ProcessEnv = { ...process.env, MESOS_MASTER_PORT: String(port), MESOS_AGENTS: String(agents) };
  for (const [i, r] of Object.entries(opts.resources ?? {})) env[`MESOS_AGENT_RESOURCES_${i}`] = r;
  for (const [i, e] of Object.entries(opts.env ?? {})) env[`MESOS_AGENT_ENV_${i}`] = JSON.stringify(e);
  if (opts.zk) env.MESOS_ZK = opts.zk; else delete env.MESOS_ZK;
  if (opts.masterFlags) env.MESOS_MASTER_FLAGS = opts.masterFlags; else delete env.MESOS_MASTER_FLAGS;
  if (opts.agentFlags) env.MESOS_AGENT_FLAGS = opts.agentFlags; else delete env.MESOS_AGENT_FLAGS;
  const startScript = path.join(REAL_MESOS_DIR, 'start-cluster.sh');
  const stopScript = path.join(REAL_MESOS_DIR, 'stop-cluster.sh');
  let out: string;
  try {
    out = await run('bash', [startScript, workDir], env, 300000);
  } catch (err) {
    await run('bash', [stopScript, workDir], env, 60000).catch(() => undefined);
    throw err;
  }
  const master = out.trim().split('\n').pop() as string;
  const pidFile = (name: string) => path.join(workDir, `${name}.pid`);
  const cmdlines = new Map<string, string[]>();
  const remember = (name: string) => {
    try {
      const pid = readPid(pidFile(name));
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a, k, all) => k < all.length - 1 || a !== '');
      cmdlines.set(name, argv);
    } catch { /* gone already: keep the last one */ }
  };
  remember('master');
  for (let i = 1; i <= agents; i++) remember(`agent${i}`);

  const kill = async (name: string) => {
    remember(name);
    let pid: number;
    try { pid = readPid(pidFile(name)); } catch { return; }
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    await waitGone(pid);
  };
  const restart = async (name: string, logName: string) => {
    await kill(name);
    const argv = cmdlines.get(name);
    if (!argv) throw new Error(`no command line recorded for ${name}`);
    const log = fs.openSync(path.join(workDir, 'logs', `${logName}.out`), 'a');
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    child.unref();
    fs.writeFileSync(pidFile(name), `${child.pid}\n`);
  };
  let stopped = false;
  return {
    master,
    workDir,
    port,
    agents,
    agentAddress: (i) => `127.0.0.1:${port + i}`,
    agentPid: (i) => readPid(pidFile(`agent${i}`)),
    masterPid: () => readPid(pidFile('master')),
    killAgent: (i) => kill(`agent${i}`),
    restartAgent: (i) => restart(`agent${i}`, `agent${i}`),
    killMaster: () => kill('master'),
    restartMaster: () => restart('master', 'master'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('bash', [stopScript, workDir], env, 120000).catch(() => undefined);
      if (!opts.workDir && process.env.PI_MESOS_KEEP_REAL_CLUSTER !== '1') {
        fs.rmSync(workDir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}
