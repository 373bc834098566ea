// The daemon as a real child process on a test Mesos cluster running the real executor: master
// failover followed through a real ZooKeeper, the executor delivered by the fetcher, SIGTERM
// (no teardown) and --teardown, a precision mismatch in the state dir, and a master stream that
// sends garbage or falls silent mid-run.
import { promises as fs } from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import {
  daemonArgs, expectExactRun, liveExecutors, masterTasks, PiTestBed, readFrameworkState, startPiTestBed,
} from '../support/pi-cluster';
import { startZooKeeper, zooKeeperUnavailableReason, ZooKeeperServer } from '../support/zookeeper';
import { waitFor } from '../support/wait';
import { DEFAULT_PRECISION } from '../../src/daemon/config';

const MAX = 2 ** 31;
const FAILED_STATES = ['TASK_KILLED', 'TASK_LOST', 'TASK_FAILED', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE'] as const;

/** Resolves with the exit, or fails naming `what` if the daemon is still running after `ms`. */
async function exitWithin(d: RunningDaemon, ms: number, what: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let end: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void d.exited.then((e) => { end = e; });
  await waitFor(() => end, ms, `${what}\n${d.output().slice(-3000)}`);
  return end!;
}

describe('pi framework on Mesos, faults end to end', function () {
  this.timeout(60_000);
  let bed: PiTestBed | undefined;
  let daemons: RunningDaemon[] = [];

  /** Starts the daemon and remembers it, so a failing test never leaves it running. */
  const run = (args: string[]): RunningDaemon => {
    const d = startDaemon(args);
    daemons.push(d);
    return d;
  };

  afterEach(async () => {
    if (process.env.PI_E2E_DUMP) for (const d of daemons) process.stdout.write(`---- ${d.child.spawnargs.slice(2).join(' ')}\n${d.output()}\n`);
    for (const d of daemons) {
      if (d.child.exitCode === null && d.child.signalCode === null) {
        d.child.kill('SIGKILL');
        await d.exited;
      }
    }
    daemons = [];
    await bed?.cleanup();
    bed = undefined;
  });

  describe('with a real ZooKeeper', () => {
    let zk: ZooKeeperServer | undefined;
    before(async function () {
      const reason = zooKeeperUnavailableReason();
      if (reason) {
        this.test!.parent!.title += ` (skipped: ${reason})`;
        this.skip();
      }
      zk = await startZooKeeper();
    });
    after(async () => { await zk?.stop(); });

    it('follows a master failover announced only through ZooKeeper (zk://) and finishes exactly', async () => {
      bed = await startPiTestBed({ masters: 2, zookeeper: { connectString: zk!.connectString, path: '/mesos' } });
      const b = bed;
      const d = run(daemonArgs(b, b.cluster.zkSpec, MAX));
      await waitFor(() => masterTasks(b, 'TASK_RUNNING').length > 0, 30_000, 'running tasks');
      expect(d.output()).to.match(new RegExp(`leading Mesos master \\(from ZooKeeper\\): \\S*${b.cluster.masters[0].address}`));
      // The old leader keeps its connections (its stream stays open): the framework must notice the move.
      await b.cluster.failover(1, { keepConnections: true });
      const end = await d.exited;
      expect(end.code, d.output()).to.equal(0);
      const newLeader = b.cluster.masters[1].address;
      expect(d.output()).to.match(new RegExp(`leading Mesos master \\(from ZooKeeper\\): \\S*${newLeader}`));
      // Whichever tells first (the ZooKeeper watch, or a 307 from the old leader to a call), the
      // framework ends up on the leader ZooKeeper names.
      expect(d.output()).to.match(new RegExp(`subscribed to Mesos master \\S*${newLeader} as framework`));
      expect(b.cluster.frameworks.size).to.equal(1);
      expect(b.cluster.framework()!.subscribeCount).to.be.at.least(2);
      await expectExactRun(b.stateDir, MAX);
    });
  });

  it('delivers the executor by the fetcher: the agents download the bundle the daemon serves and run it from the sandbox', async () => {
    // `env node` in the fetched command needs node on the agent's PATH, as a real agent would have it.
    const env = { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    bed = await startPiTestBed({}, [{ cpus: 2, mem: 1024, duty: 1, env }, { cpus: 1, mem: 512, duty: 1, env }]);
    const b = bed;
    const d = run(daemonArgs(b, b.cluster.masterSpec, MAX, ['--executor', 'fetch', '--http', '127.0.0.1:0', '--executor-url-host', '127.0.0.1']));
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    await expectExactRun(b.stateDir, MAX);
    const port = Number(/HTTP endpoints on http:\/\/127\.0\.0\.1:(\d+)\//.exec(d.output())?.[1]);
    expect(port).to.be.greaterThan(0);
    const task = masterTasks(b)[0];
    const command = task.info.executor!.command!;
    expect(command.shell).to.equal(false);
    expect(command.uris?.map((u) => u.value)).to.deep.equal([`http://127.0.0.1:${port}/executor/pi-mesos-executor.tar.gz`]);
    const executors = b.agents.flatMap((a) => [...a.executors.values()]);
    expect(executors.length, 'an executor on every agent').to.equal(2);
    for (const e of executors) {
      // Fetched and extracted into the sandbox, and running from there (not from this checkout).
      await fs.access(path.join(e.sandbox, 'pi-mesos-executor.tar.gz'));
      await fs.access(path.join(e.sandbox, 'dist/src/executor/main.js'));
      await fs.access(path.join(e.sandbox, 'node_modules/protobufjs/package.json'));
      const pid = e.process!.pid!;
      expect(await fs.readlink(`/proc/${pid}/cwd`)).to.equal(e.sandbox);
      const argv = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      expect(argv).to.include('dist/src/executor/main.js');
    }
  });

  it('on SIGTERM exits 0 at once without tearing the framework down; a restart resubscribes and finishes exactly', async () => {
    bed = await startPiTestBed();
    const b = bed;
    const args = daemonArgs(b, b.cluster.masterSpec, MAX);
    const first = run(args);
    // Running tasks, and every launch the daemon recorded has reached the master (a launch cut
    // short by SIGTERM is legitimately unknown to it, and settled by reconciliation later).
    await waitFor(async () => {
      const s = await readFrameworkState(b.stateDir);
      return masterTasks(b, 'TASK_RUNNING').length > 0 && s && s.ledger.inFlight.length > 0
        && s.ledger.inFlight.every((t) => b.cluster.tasks.has(t.taskId));
    }, 30_000, 'running tasks');
    first.child.kill('SIGTERM');
    const end = await exitWithin(first, 8000, 'the daemon to exit after SIGTERM');
    expect(end.code, first.output()).to.equal(0);
    expect(first.output()).to.match(/SIGTERM: stopping/);
    const fw = b.cluster.framework()!;
    const state = (await readFrameworkState(b.stateDir))!;
    expect(state.frameworkId).to.equal(fw.id);
    // Mesos still has the framework, disconnected and within its failover timeout.
    expect(fw.removed).to.equal(false);
    expect(fw.connected).to.equal(false);
    expect(b.cluster.calls.some((c) => c.type === 'TEARDOWN')).to.equal(false);
    // Its tasks were left running: none killed, the executors alive.
    expect(state.ledger.inFlight.length, 'tasks in flight at SIGTERM').to.be.greaterThan(0);
    for (const t of state.ledger.inFlight) {
      const m = b.cluster.tasks.get(t.taskId);
      expect(m, `task ${t.taskId} known to the master`).to.not.equal(undefined);
      expect(['TASK_STAGING', 'TASK_RUNNING', 'TASK_FINISHED']).to.include(m!.state);
    }
    expect(masterTasks(b, ...FAILED_STATES)).to.deep.equal([]);
    expect(liveExecutors(b).length).to.be.greaterThan(0);

    const second = run(args);
    const end2 = await second.exited;
    expect(end2.code, second.output()).to.equal(0);
    expect(second.output()).to.match(/resubscribed/);
    expect(b.cluster.frameworks.size).to.equal(1);
    expect(b.cluster.framework()!.id).to.equal(fw.id);
    expect(b.cluster.framework()!.subscribeCount).to.equal(2);
    // The tasks left running were adopted: every task ran once, to the end.
    expect(masterTasks(b, ...FAILED_STATES)).to.deep.equal([]);
    expect(masterTasks(b).every((t) => t.state === 'TASK_FINISHED')).to.equal(true);
    await expectExactRun(b.stateDir, MAX);
  });

  it('--teardown removes the framework from Mesos and the ID from the state; the next start registers anew and finishes exactly', async () => {
    bed = await startPiTestBed();
    const b = bed;
    const args = daemonArgs(b, b.cluster.masterSpec, MAX);
    const first = run(args);
    await waitFor(() => masterTasks(b, 'TASK_RUNNING').length > 0, 30_000, 'running tasks');
    first.child.kill('SIGTERM');
    expect((await first.exited).code, first.output()).to.equal(0);
    const oldId = b.cluster.framework()!.id;
    expect((await readFrameworkState(b.stateDir))!.frameworkId).to.equal(oldId);

    const down = run([...args, '--teardown']);
    const end = await down.exited;
    expect(end.code, down.output()).to.equal(0);
    expect(down.output()).to.match(new RegExp(`framework ${oldId} torn down`));
    expect(b.cluster.calls.filter((c) => c.type === 'TEARDOWN')).to.have.length(1);
    expect(b.cluster.framework(oldId)!.removed).to.equal(true);
    await waitFor(() => liveExecutors(b).length === 0, 10_000, 'the executors to be shut down');
    const state = (await readFrameworkState(b.stateDir))!;
    expect(state.frameworkId).to.equal(undefined);
    expect(await fs.readFile(path.join(b.stateDir, 'pi-mesos-state.json'), 'utf8')).to.not.contain(oldId);
    expect(state.ledger.inFlight, 'the killed tasks\' ranges are queued again').to.deep.equal([]);

    const again = run(args);
    const end3 = await again.exited;
    expect(end3.code, again.output()).to.equal(0);
    expect(b.cluster.frameworks.size).to.equal(2);
    const newId = (await readFrameworkState(b.stateDir))!.frameworkId;
    expect(newId).to.be.a('string').and.not.equal(oldId);
    await expectExactRun(b.stateDir, MAX);
  });

  it('--teardown after a completed run still removes the framework', async () => {
    bed = await startPiTestBed({}, [{ cpus: 2, mem: 1024, duty: 1 }]);
    const b = bed;
    const small = 3_211_264; // a group boundary (196 groups of 16384 terms)
    const args = daemonArgs(b, b.cluster.masterSpec, small);
    const first = run(args);
    expect((await first.exited).code, first.output()).to.equal(0);
    await expectExactRun(b.stateDir, small);
    const id = b.cluster.framework()!.id;
    const down = run([...args, '--teardown']);
    expect((await down.exited).code, down.output()).to.equal(0);
    expect(down.output()).to.match(new RegExp(`framework ${id} torn down`));
    // A teardown is not a lost master, and it shuts down like any stop.
    expect(down.output()).to.not.match(/WARN.*lost/);
    expect(down.output()).to.match(/framework torn down: stopping/);
    expect(b.cluster.framework(id)!.removed).to.equal(true);
    const s = await expectExactRun(b.stateDir, small);
    expect(s.frameworkId).to.equal(undefined);
  });

  it('exits 78 naming both precisions when the state dir holds a run at another precision', async () => {
    bed = await startPiTestBed({}, [{ cpus: 2, mem: 1024, duty: 1 }]);
    const b = bed;
    const small = 3_211_264; // a group boundary (196 groups of 16384 terms)
    const first = run(daemonArgs(b, b.cluster.masterSpec, small));
    expect((await first.exited).code, first.output()).to.equal(0);
    await expectExactRun(b.stateDir, small);
    const file = path.join(b.stateDir, 'pi-mesos-state.json');
    const before = await fs.readFile(file, 'utf8');
    const calls = b.cluster.calls.length;
    const wrong = run([...daemonArgs(b, b.cluster.masterSpec, small), '--precision', '30']);
    const end = await wrong.exited;
    expect(end.code, wrong.output()).to.equal(78);
    expect(wrong.output()).to.match(new RegExp(`precision ${DEFAULT_PRECISION} digits; this run asks for 30`));
    expect(wrong.output()).to.match(new RegExp(`--precision ${DEFAULT_PRECISION}`));
    expect(await fs.readFile(file, 'utf8'), 'the stored run is untouched').to.equal(before);
    expect(b.cluster.calls.length, 'it never talked to Mesos').to.equal(calls);
  });

  it('reconnects when the master stream turns to garbage mid-run, and finishes exactly', async () => {
    bed = await startPiTestBed();
    const b = bed;
    const d = run(daemonArgs(b, b.cluster.masterSpec, MAX));
    await waitFor(() => masterTasks(b, 'TASK_RUNNING').length > 0, 30_000, 'running tasks');
    b.cluster.sendGarbage();
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    expect(d.output()).to.match(/malformed event stream from \S+; resubscribing/);
    expect(b.cluster.framework()!.subscribeCount).to.be.at.least(2);
    expect(b.cluster.frameworks.size).to.equal(1);
    await expectExactRun(b.stateDir, MAX);
  });

  it('reconnects when the master stream falls silent mid-run (no heartbeats), and finishes exactly', async () => {
    bed = await startPiTestBed({ heartbeatIntervalSeconds: 0.2 });
    const b = bed;
    const d = run(daemonArgs(b, b.cluster.masterSpec, MAX));
    await waitFor(() => masterTasks(b, 'TASK_RUNNING').length > 0, 30_000, 'running tasks');
    // Nothing more reaches the daemon on this stream, results included: it cannot finish without reconnecting.
    b.cluster.silenceSchedulerStreams();
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    expect(d.output()).to.match(/no heartbeat from \S+ for \d+ ms: treating the stream as dead/);
    expect(b.cluster.framework()!.subscribeCount).to.be.at.least(2);
    await expectExactRun(b.stateDir, MAX);
  });
});
