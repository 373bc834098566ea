// The daemon on a real Mesos 1.12 cluster of its own (../shared/real-mesos), as a cluster admin
// sets one up: static reservations and --role, an agent whose executor environment has no node,
// the default fetch executor and task user, a daemon restarted with another executor URL and then
// another executor kind while its old executors live, an agent killed and restarted on its work directory, and a master
// restarted while registered in a real ZooKeeper. Every run ends with the exact sum of [0, N):
// nothing lost, nothing counted twice.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { exitOf, killAll, RunningDaemon, startDaemon } from '../support/daemon-process';
import { RealCluster, realMesosUnavailableReason, startRealCluster } from '../support/mesos/real-cluster';
import { expectExactRun, readFrameworkState, writeExecutorLauncher } from '../support/pi-cluster';
import { httpGet } from '../support/http-get';
import { waitFor } from '../support/wait';
import { startZooKeeper, ZooKeeperServer, zooKeeperUnavailableReason } from '../support/zookeeper';

const UNAVAILABLE = realMesosUnavailableReason();

/** Enough terms for dozens of tasks (--max-task-terms), so that faults land mid-run. */
const MAX = 2 ** 33;
const TASK_TERMS = 2 ** 28;
const RUN_TIMEOUT_MS = 240_000;

describe(`pi-mesos on a real Mesos cluster of its own (${UNAVAILABLE ? `skipped: ${UNAVAILABLE}` : '../shared/real-mesos'})`, function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  let dir: string;
  let daemons: RunningDaemon[] = [];

  before(function () {
    if (UNAVAILABLE) this.skip();
  });

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-real-cluster-'));
  });

  const stateDir = (name = 'state'): string => path.join(dir, name);

  function args(master: string, extra: string[] = [], state = stateDir(), max = MAX, taskTerms = TASK_TERMS): string[] {
    return [
      '--master', master, '--display', 'none', '--http', '127.0.0.1:0', '--state-dir', state,
      '--max-terms', String(max), '--max-task-terms', String(taskTerms), '--target-task-seconds', '1',
      '--framework-name', 'pi-mesos real-cluster test', '--failover-timeout', '10m', '--log-level', 'debug',
      ...extra,
    ];
  }

  const run = (a: string[]): RunningDaemon => {
    const d = startDaemon(a);
    daemons.push(d);
    return d;
  };

  const exitOfRun = (d: RunningDaemon, ms = RUN_TIMEOUT_MS): Promise<number | null> => exitOf(d, ms);

  async function tearDown(master: string, state = stateDir()): Promise<void> {
    if (!(await readFrameworkState(state))?.frameworkId) return;
    const down = run([...args(master, [], state), '--teardown']);
    expect(await exitOfRun(down, 60_000), down.output()).to.equal(0);
  }

  afterEach(async () => {
    await killAll(daemons);
    daemons = [];
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('an admin\'s cluster: reservations for the role, an agent without node on its PATH', () => {
    let cluster: RealCluster;
    before(async function () {
      if (UNAVAILABLE) this.skip();
      cluster = await startRealCluster({
        agents: 2,
        resources: { 1: 'cpus(pi):2;mem(pi):2048;cpus:2;mem:2048;disk:1000' },
        // Agent 2 runs executors with a PATH where no node lives (node from nvm, /opt, a tarball).
        env: { 2: { PATH: '/nonexistent/bin' } },
      });
    });
    after(async () => { await cluster?.stop(); });

    it('computes exactly with --role pi on reserved and unreserved resources, the default fetch executor and user, and names the setting for the agent without node', async () => {
      const d = run(args(cluster.master, ['--role', 'pi']));
      expect(await exitOfRun(d), d.output()).to.equal(0);
      const out = d.output();
      expect(out).to.match(/tasks run as user nobody on the agents/);
      expect(out).to.not.match(/more than available|TASK_ERROR|task_error/i);
      expect(out).to.match(/the executor could not start on agent 127\.0\.0\.2: a program it runs was not found \(exit status 127\)\. Set --executor-node \(PI_MESOS_EXECUTOR_NODE\)/);
      // The range that met the broken agent was not blamed for it.
      expect(out).to.not.match(/requeued, attempt [1-9]/);
      expect(out).to.match(/launched \d+ tasks on 127\.0\.0\.1/);
      await expectExactRun(stateDir(), MAX);
      await tearDown(cluster.master);
    });

    it('uses the agents\' node named by --executor-node, on every agent', async () => {
      const d = run(args(cluster.master, ['--role', 'pi', '--executor-node', process.execPath]));
      expect(await exitOfRun(d), d.output()).to.equal(0);
      expect(d.output()).to.match(/launched \d+ tasks on 127\.0\.0\.2/);
      expect(d.output()).to.not.match(/could not start/);
      await expectExactRun(stateDir(), MAX);
      await tearDown(cluster.master);
    });

    it('after restarts with another executor URL, then another kind, leaves the old executors to finish their tasks and starts new ones', async () => {
      // Work for three runs: each of the first two is killed once it has launched tasks of its own.
      const max = 2 ** 35;
      const a = args(cluster.master, ['--executor-node', process.execPath], stateDir(), max, 2 ** 30);
      const executorsOf = (d: RunningDaemon): string[] => [...d.output().matchAll(/executor (pi-mesos-executor-[0-9a-f]+), new/g)].map((m) => m[1]);
      /** Waits until `d` has tasks in flight and `ready()`, then kills it as kill -9 would. */
      async function killMidRun(d: RunningDaemon, ready: (prefixEnd: number) => boolean): Promise<void> {
        await waitFor(async () => {
          const s = await readFrameworkState(stateDir());
          return Boolean(s?.frameworkId && s.ledger.inFlight.length > 0 && ready(s.ledger.prefixEnd));
        }, RUN_TIMEOUT_MS, `tasks in flight\n${d.output().slice(-4000)}`);
        d.child.kill('SIGKILL');
        await d.exited;
      }
      const first = run(a);
      await killMidRun(first, (prefixEnd) => prefixEnd > 0 && executorsOf(first).length > 0);
      const seen = new Set(executorsOf(first));
      // --http 127.0.0.1:0 binds another port: another bundle URL, so another ExecutorInfo.
      const second = run(a);
      await killMidRun(second, () => executorsOf(second).length > 0);
      const byUrl = executorsOf(second);
      for (const id of byUrl) expect(seen.has(id), `${id} reused after the URL changed`).to.equal(false);
      for (const id of byUrl) seen.add(id);
      // Then a preinstalled command instead of the fetched bundle, while both earlier sets may live.
      const launcher = await writeExecutorLauncher(dir);
      await fs.chmod(dir, 0o755); // the executor runs as nobody
      const third = run(args(cluster.master, ['--executor', `command:${launcher}`], stateDir(), max, 2 ** 30));
      expect(await exitOfRun(third), third.output()).to.equal(0);
      const byKind = executorsOf(third);
      expect(byKind.length).to.be.greaterThan(0);
      for (const id of byKind) expect(seen.has(id), `${id} reused after the kind changed`).to.equal(false);
      for (const d of [second, third]) expect(d.output()).to.not.match(/not compatible with existing ExecutorInfo/);
      await expectExactRun(stateDir(), max);
      await tearDown(cluster.master);
    });

    it('survives an agent killed and restarted on the same work directory: recovery, re-registration, resent updates', async () => {
      const d = run(args(cluster.master, ['--executor-node', process.execPath]));
      let agentId = '';
      await waitFor(async () => {
        const s = await readFrameworkState(stateDir());
        agentId = s?.ledger.inFlight[0]?.agentId ?? '';
        return s && agentId && s.ledger.prefixEnd > 0;
      }, RUN_TIMEOUT_MS, `tasks in flight\n${d.output().slice(-4000)}`);
      // Agents are named 127.0.0.<i>: the one running that task is agent i.
      const slaves = JSON.parse(await httpGet(`http://${cluster.master}/slaves`)) as { slaves: { id: string; hostname: string }[] };
      const victim = Number(slaves.slaves.find((a) => a.id === agentId)!.hostname.split('.')[3]);
      await cluster.killAgent(victim);
      await cluster.restartAgent(victim);
      expect(await exitOfRun(d), d.output()).to.equal(0);
      await expectExactRun(stateDir(), MAX);
      await tearDown(cluster.master);
    });
  });

  describe('a master registered in a real ZooKeeper', () => {
    let zk: ZooKeeperServer | undefined;
    let cluster: RealCluster | undefined;
    before(async function () {
      const why = UNAVAILABLE ?? zooKeeperUnavailableReason();
      if (why) this.skip();
      zk = await startZooKeeper();
      cluster = await startRealCluster({ agents: 2, zk: `zk://${zk.connectString}/mesos` });
    });
    after(async () => {
      await cluster?.stop();
      await zk?.stop();
    });

    it('survives the master restarted mid-run: re-election, agents re-registering, reconciliation', async () => {
      const master = `zk://${zk!.connectString}/mesos`;
      const d = run(args(master, ['--executor-node', process.execPath]));
      await waitFor(async () => {
        const s = await readFrameworkState(stateDir());
        return s?.frameworkId && s.ledger.inFlight.length > 0 && s.ledger.prefixEnd > 0;
      }, RUN_TIMEOUT_MS, `tasks in flight\n${d.output().slice(-4000)}`);
      await cluster!.killMaster();
      await cluster!.restartMaster();
      expect(await exitOfRun(d), d.output()).to.equal(0);
      const out = d.output();
      expect(out).to.match(/lost the master|leader/i);
      expect(out.match(/subscribed to Mesos master/g)?.length ?? 0).to.be.at.least(2);
      await expectExactRun(stateDir(), MAX);
      await tearDown(master);
    });
  });
});
