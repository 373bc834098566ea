import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { FrameworkState, PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import { DEFAULT_PRECISION } from '../../src/daemon/config';
import { RangeSum, sumRange } from '../../src/pi/range-sum';
import { TaskRecord, TestMesosCluster, TestClusterOptions } from './mesos/cluster';
import type { TaskState } from '../../src/mesos/types';
import { TestAgent } from './mesos/agent';

export const EXECUTOR_MAIN = path.resolve(__dirname, '../../src/executor/main.js');

/** An executable that starts the real pi executor: what a preinstalled `--executor command:` is. */
export async function writeExecutorLauncher(dir: string): Promise<string> {
  const file = path.join(dir, 'pi-mesos-executor');
  await fs.writeFile(file, `#!/bin/sh\nexec "${process.execPath}" "${EXECUTOR_MAIN}" "$@"\n`, { mode: 0o755 });
  return file;
}

export interface PiTestBed {
  dir: string;
  stateDir: string;
  launcher: string;
  cluster: TestMesosCluster;
  agents: TestAgent[];
  cleanup(): Promise<void>;
}

export interface PiAgentSpec {
  cpus: number;
  mem: number;
  /** PI_MESOS_EXECUTOR_DUTY of its executor. */
  duty: number;
  /** More environment for its executors; null leaves a variable out (as an agent that sets nothing). */
  env?: Record<string, string | null>;
}

/** A test Mesos cluster with agents of different sizes and speeds (duty), and a state dir. */
export async function startPiTestBed(options: TestClusterOptions = {}, agentSpecs: PiAgentSpec[] = [
  { cpus: 1, mem: 512, duty: 1 },
  { cpus: 2, mem: 1024, duty: 0.5 },
  { cpus: 3, mem: 2048, duty: 1 },
]): Promise<PiTestBed> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-e2e-'));
  // Agents run executors as the task user (nobody), as Mesos does: its launcher must be reachable.
  await fs.chmod(dir, 0o755);
  const launcher = await writeExecutorLauncher(dir);
  const cluster = new TestMesosCluster({ heartbeatIntervalSeconds: 0.5, statusUpdateRetryMs: 300, ...options });
  await cluster.start();
  const agents: TestAgent[] = [];
  for (const [i, a] of agentSpecs.entries()) {
    agents.push(await cluster.addAgent({
      hostname: `pi${i + 1}.cluster.lan`, cpus: a.cpus, mem: a.mem,
      env: Object.fromEntries(Object.entries({ PI_MESOS_EXECUTOR_DUTY: String(a.duty), PI_MESOS_EXECUTOR_IDLE_SECONDS: '0', ...(a.env ?? {}) })
        .filter((e): e is [string, string] => e[1] !== null)),
      recoveryTimeoutMs: 20_000, subscriptionBackoffMaxMs: 200,
    }));
  }
  return {
    dir, stateDir: path.join(dir, 'state'), launcher, cluster, agents,
    async cleanup() {
      await cluster.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A run of [0, maxTerms) on the bed in at least 32 tasks: more than the bed's CPUs whatever the
 * kernel's speed, so every agent gets work and a fault injected while tasks run lands mid-run.
 */
export function daemonArgs(bed: PiTestBed, master: string, maxTerms: number, extra: string[] = []): string[] {
  const perTask = Math.max(32, Math.floor(maxTerms / 32 / 32) * 32);
  return [
    '--master', master, '--executor', `command:${bed.launcher}`, '--display', 'none', '--http', 'off',
    '--state-dir', bed.stateDir, '--max-terms', String(maxTerms), '--max-task-terms', String(perTask),
    '--target-task-seconds', '1', '--log-level', 'debug', ...extra,
  ];
}

export async function readFrameworkState(stateDir: string): Promise<FrameworkState | undefined> {
  try {
    return JSON.parse(await fs.readFile(PiFramework.stateFile(stateDir), 'utf8')) as FrameworkState;
  } catch {
    return undefined;
  }
}

const sums = new Map<number, RangeSum>();

/** The sum of [0, maxTerms) at the default precision in one piece, computed once per test process. */
export function uninterruptedSum(maxTerms: number): RangeSum {
  let s = sums.get(maxTerms);
  if (!s) sums.set(maxTerms, (s = sumRange({ start: 0, count: maxTerms }, scaleFor(DEFAULT_PRECISION))));
  return s;
}

/** The run's result equals the uninterrupted exact sum of [0, maxTerms): nothing lost or doubled. */
export async function expectExactRun(stateDir: string, maxTerms: number): Promise<FrameworkState> {
  const s = (await readFrameworkState(stateDir))!;
  expect(s.ledger.prefixEnd).to.equal(maxTerms);
  expect(s.ledger.inFlight).to.deep.equal([]);
  expect(s.ledger.queue).to.deep.equal([]);
  const whole = uninterruptedSum(maxTerms);
  expect(s.ledger.prefixValue).to.equal(whole.value.toString());
  expect(s.ledger.prefixErrUnits).to.equal(whole.errUnits.toString());
  return s;
}

/** The master's records of the tasks in `states` (all tasks when none given). */
export function masterTasks(bed: PiTestBed, ...states: TaskState[]): TaskRecord[] {
  return [...bed.cluster.tasks.values()].filter((t) => states.length === 0 || states.includes(t.state));
}

/** Executor processes still alive on the bed's agents. */
export function liveExecutors(bed: PiTestBed): number[] {
  return bed.agents.flatMap((a) => [...a.executors.values()])
    .map((e) => e.process)
    .filter((p): p is NonNullable<typeof p> => !!p && p.exitCode === null && p.signalCode === null)
    .map((p) => p.pid as number);
}
