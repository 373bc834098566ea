// The end-to-end scenario against a real Mesos cluster, when MESOS_MASTER is set:
//
//   MESOS_MASTER=127.0.0.1:5050 npx mocha --no-config --exit dist/test/framework/real-master.test.js
//
// MESOS_MASTER is host:port[,host:port…] or zk://host:port/mesos. The agents start the executor
// through a launcher this test writes (`--executor command:`), so they must share this machine's
// file system and Node.js: a local cluster (e.g. `mesos-local`, or a master and agent started on
// this host); or name a launcher preinstalled on every agent with PI_MESOS_TEST_EXECUTOR=/abs/path.
// Optional: MESOS_PRINCIPAL + MESOS_SECRET_FILE (authentication), MESOS_CA_FILE (https),
// MESOS_ROLE, MESOS_USER. Every framework it registers is torn down at the end.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { exitOf, killAll, RunningDaemon, startDaemon } from '../support/daemon-process';
import { expectExactRun, readFrameworkState, writeExecutorLauncher } from '../support/pi-cluster';
import { waitFor } from '../support/wait';

const MASTER = process.env.MESOS_MASTER;
/** A few seconds of computing: enough for several tasks on a small cluster. */
const MAX = 2 ** 31;
/** Generous: a real cluster's first offers, executor start and 15 s heartbeats are slow. */
const RUN_TIMEOUT_MS = 150_000;

describe(`pi framework end to end against a real Mesos master (${MASTER ? `MESOS_MASTER=${MASTER}` : 'skipped: set MESOS_MASTER=host:port to run'})`, function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  let dir: string | undefined;
  let daemons: RunningDaemon[] = [];

  before(function () {
    if (!MASTER) this.skip();
  });

  const stateDir = (): string => path.join(dir as string, 'state');

  async function args(extra: string[] = []): Promise<string[]> {
    const executor = process.env.PI_MESOS_TEST_EXECUTOR ?? await writeExecutorLauncher(dir as string);
    const a = [
      '--master', MASTER as string, '--executor', `command:${executor}`, '--display', 'none', '--http', 'off',
      '--state-dir', stateDir(), '--max-terms', String(MAX), '--target-task-seconds', '1',
      '--framework-name', 'pi-mesos end-to-end test', '--failover-timeout', '10m', '--log-level', 'info',
    ];
    if (process.env.MESOS_PRINCIPAL) a.push('--principal', process.env.MESOS_PRINCIPAL);
    if (process.env.MESOS_SECRET_FILE) a.push('--secret-file', process.env.MESOS_SECRET_FILE);
    if (process.env.MESOS_CA_FILE) a.push('--ca-file', process.env.MESOS_CA_FILE);
    if (process.env.MESOS_ROLE) a.push('--role', process.env.MESOS_ROLE);
    if (process.env.MESOS_USER) a.push('--user', process.env.MESOS_USER);
    return [...a, ...extra];
  }

  const run = (a: string[]): RunningDaemon => {
    const d = startDaemon(a);
    daemons.push(d);
    return d;
  };

  const exitOfRun = (d: RunningDaemon, ms = RUN_TIMEOUT_MS): Promise<number | null> => exitOf(d, ms);

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-real-master-'));
    // The executor runs as the task user (nobody by default) on the agents: the launcher must be reachable.
    await fs.chmod(dir, 0o755);
  });

  afterEach(async () => {
    await killAll(daemons);
    daemons = [];
    // Never leave a framework (and its idle executors holding resources) on someone's cluster.
    if (dir && (await readFrameworkState(stateDir()))?.frameworkId) {
      const down = startDaemon(await args(['--teardown']));
      await exitOfRun(down, 60_000).catch(() => { down.child.kill('SIGKILL'); });
    }
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('computes [0, N) on the cluster exactly, then tears the framework down', async () => {
    const d = run(await args());
    const code = await exitOfRun(d);
    expect(code, d.output()).to.equal(0);
    expect(d.output()).to.match(/subscribed to Mesos master \S+ as framework \S+/);
    expect(d.output()).to.match(/new certified digit/);
    const s = await expectExactRun(stateDir(), MAX);
    expect(s.frameworkId).to.be.a('string');

    const down = run(await args(['--teardown']));
    expect(await exitOfRun(down, 60_000), down.output()).to.equal(0);
    expect(down.output()).to.match(new RegExp(`framework ${s.frameworkId} torn down`));
    expect((await readFrameworkState(stateDir()))?.frameworkId).to.equal(undefined);
  });

  it('survives kill -9 of the daemon: resubscribes with the same framework ID and counts every range once', async () => {
    const a = await args();
    const first = run(a);
    await waitFor(async () => {
      const s = await readFrameworkState(stateDir());
      return s?.frameworkId && s.ledger.inFlight.length > 0;
    }, RUN_TIMEOUT_MS, `tasks in flight\n${first.output().slice(-4000)}`);
    first.child.kill('SIGKILL');
    await first.exited;
    const id = (await readFrameworkState(stateDir()))!.frameworkId;
    const second = run(a);
    const code = await exitOfRun(second);
    expect(code, second.output()).to.equal(0);
    expect(second.output()).to.match(new RegExp(`as framework ${id} \\(resubscribed\\)`));
    const s = await expectExactRun(stateDir(), MAX);
    expect(s.frameworkId).to.equal(id);
  });
});
