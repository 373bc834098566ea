import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startDaemon } from '../support/daemon-process';
import { daemonArgs, expectExactRun, PiTestBed, readFrameworkState, startPiTestBed } from '../support/pi-cluster';
import { waitFor } from '../support/wait';

// The daemon as a real child process, the real executor on three test agents of different sizes
// and speeds, the test master speaking the v1 scheduler API; faults injected mid-run.
describe('pi framework on Mesos, end to end', function () {
  this.timeout(120_000);
  let bed: PiTestBed;
  afterEach(async () => { await bed?.cleanup(); });

  const MAX = 2 ** 31;

  it('spreads ranges over agents of different sizes and speeds and adds them up exactly', async () => {
    bed = await startPiTestBed();
    const d = startDaemon(daemonArgs(bed, bed.cluster.masterSpec, MAX, ['--http', '0.0.0.0:0']));
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    const s = await expectExactRun(bed.stateDir, MAX);
    const fw = bed.cluster.framework()!;
    expect(s.frameworkId).to.equal(fw.id);
    // Mesos's UI links it for people on other machines: this host's name, never 0.0.0.0.
    expect(fw.info.webui_url).to.match(new RegExp(`^http://${os.hostname().replace(/\./g, '\\.')}:[1-9]\\d*/$`));
    expect(fw.info.checkpoint).to.equal(true);
    expect(fw.info.failover_timeout).to.equal(604800);
    const agentsUsed = new Set([...bed.cluster.tasks.values()].map((t) => t.agentId));
    expect(agentsUsed.size, 'tasks ran on every agent').to.equal(3);
    expect(d.output()).to.match(/NOTICE.*subscribed to .* as framework/);
    expect(d.output()).to.match(/NOTICE.*new certified digit/);
    // One line per meaningful event, not one per offer: offers are debug only (suppressing and
    // reviving are events, each said once).
    const offerLines = d.output().split('\n').filter((l) => /(INFO|NOTICE|WARN)/.test(l) && /offer/i.test(l));
    expect(offerLines.length, offerLines.join('\n')).to.be.at.most(2);
    // Each offer, used or declined, is one debug line.
    expect(d.output().split('\n').filter((l) => /DEBUG.*(declining offer|launched \d+ tasks on)/.test(l)).length).to.be.greaterThan(0);
  });

  it('sends its executor settings as defaults: an agent without its own takes them, an agent with its own keeps them', async () => {
    // Agent 1 sets neither (no --executor_environment_variables, Mesos' default: the executor's
    // environment has no such variable at all); agent 2 sets one, as an admin tuning one Pi would.
    bed = await startPiTestBed({}, [
      { cpus: 1, mem: 512, duty: 1, env: { PI_MESOS_EXECUTOR_DUTY: null, PI_MESOS_EXECUTOR_IDLE_SECONDS: null } },
      { cpus: 1, mem: 512, duty: 0.5, env: { PI_MESOS_EXECUTOR_IDLE_SECONDS: '2' } },
    ]);
    const d = startDaemon(daemonArgs(bed, bed.cluster.masterSpec, 2 ** 28, ['--executor-duty', '0.75', '--executor-idle-seconds', '7']));
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    await expectExactRun(bed.stateDir, 2 ** 28);
    const startLines = (agentIndex: number): string[] => {
      const found: string[] = [];
      const walk = (dir: string): void => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name === 'stderr') found.push(...fs.readFileSync(p, 'utf8').split('\n').filter((l) => /pi-mesos-executor .* idle exit/.test(l)));
        }
      };
      walk(bed.agents[agentIndex].workDir);
      return found;
    };
    const [own, tuned] = [startLines(0), startLines(1)];
    expect(own.length, 'executors started on agent 1').to.be.greaterThan(0);
    expect(tuned.length, 'executors started on agent 2').to.be.greaterThan(0);
    for (const l of own) expect(l).to.match(/, idle exit 7 s, duty 0\.75$/);
    for (const l of tuned) expect(l).to.match(/, idle exit 2 s, duty 0\.5$/);
  });

  it('survives kill -9 of the daemon: resubscribes with the same framework ID and counts every range once', async () => {
    bed = await startPiTestBed();
    const args = daemonArgs(bed, bed.cluster.masterSpec, MAX);
    const first = startDaemon(args);
    await waitFor(async () => {
      const s = await readFrameworkState(bed.stateDir);
      return s && s.ledger.prefixEnd > 0 && s.ledger.inFlight.length > 0;
    }, 60_000, 'finished and in-flight ranges');
    first.child.kill('SIGKILL');
    await first.exited;
    const id = bed.cluster.framework()!.id;
    const second = startDaemon(args);
    const end = await second.exited;
    expect(end.code, second.output()).to.equal(0);
    expect(second.output()).to.match(/resubscribed/);
    expect(bed.cluster.frameworks.size).to.equal(1);
    expect(bed.cluster.framework()!.id).to.equal(id);
    expect(second.output()).to.match(/reconciling \d+ tasks/);
    await expectExactRun(bed.stateDir, MAX);
  });

  it('recomputes the ranges of a lost agent elsewhere, once', async () => {
    bed = await startPiTestBed();
    const d = startDaemon(daemonArgs(bed, bed.cluster.masterSpec, MAX));
    const victim = bed.agents[2];
    await waitFor(() => [...bed.cluster.tasks.values()].some((t) => t.agentId === victim.id && t.state === 'TASK_RUNNING'), 60_000, 'a running task on the victim');
    await bed.cluster.loseAgent(victim.id, 'unreachable');
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    expect(d.output()).to.match(/WARN.*task \S+ lost .*requeued/);
    await expectExactRun(bed.stateDir, MAX);
  });

  it('changes nothing when updates arrive twice', async () => {
    bed = await startPiTestBed();
    bed.cluster.faults.duplicateUpdates = 1000;
    const d = startDaemon(daemonArgs(bed, bed.cluster.masterSpec, MAX));
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    expect(bed.cluster.faults.duplicateUpdates).to.be.below(1000);
    await expectExactRun(bed.stateDir, MAX);
  });

  it('follows a master failover and continues', async () => {
    bed = await startPiTestBed({ masters: 2 });
    const d = startDaemon(daemonArgs(bed, bed.cluster.masterSpec, MAX));
    await waitFor(async () => ((await readFrameworkState(bed.stateDir))?.ledger.prefixEnd ?? 0) > 0, 60_000, 'progress');
    await bed.cluster.failover(1);
    const end = await d.exited;
    expect(end.code, d.output()).to.equal(0);
    expect(bed.cluster.framework()!.subscribeCount).to.be.at.least(2);
    expect(d.output()).to.match(new RegExp(`subscribed to .*${bed.cluster.masters[1].address}`));
    await expectExactRun(bed.stateDir, MAX);
  });

  describe('tasks of several ranges (each reported in a TASK_RUNNING update)', () => {
    /** At least 32 tasks (so every agent gets some), each of several short ranges. */
    const MAX_L = 2 ** 36;
    const LEASES = ['--max-task-terms', String(MAX_L / 32), '--target-task-seconds', '1', '--target-range-seconds', '0.1'];

    function countRangeReports(b: PiTestBed): { running: number; finished: number } {
      const counts = { running: 0, finished: 0 };
      const original = b.cluster.statusUpdate.bind(b.cluster);
      b.cluster.statusUpdate = (agent, frameworkId, status) => {
        if (status.data?.length && status.state === 'TASK_RUNNING') counts.running++;
        if (status.data?.length && status.state === 'TASK_FINISHED') counts.finished++;
        original(agent, frameworkId, status);
      };
      return counts;
    }

    it('adds up every range exactly, most of them reported while their task runs on', async () => {
      bed = await startPiTestBed();
      const counts = countRangeReports(bed);
      const d = startDaemon(daemonArgs(bed, bed.cluster.masterSpec, MAX_L, LEASES));
      const end = await d.exited;
      expect(end.code, d.output()).to.equal(0);
      await expectExactRun(bed.stateDir, MAX_L);
      expect(counts.running, 'ranges reported in TASK_RUNNING').to.be.greaterThan(counts.finished);
    });

    it('loses only the range in progress when an agent is lost mid-task', async () => {
      bed = await startPiTestBed();
      const counts = countRangeReports(bed);
      const d = startDaemon(daemonArgs(bed, bed.cluster.masterSpec, MAX_L, LEASES));
      const victim = bed.agents[2];
      await waitFor(() => counts.running > 3 && [...bed.cluster.tasks.values()].some((t) => t.agentId === victim.id && t.state === 'TASK_RUNNING'), 60_000, 'ranges reported, a task running on the victim');
      await bed.cluster.loseAgent(victim.id, 'unreachable');
      const end = await d.exited;
      expect(end.code, d.output()).to.equal(0);
      expect(d.output()).to.match(/WARN.*task \S+ lost .*requeued/);
      await expectExactRun(bed.stateDir, MAX_L);
    });

    it('survives kill -9 of the daemon mid-task: ranges reported while it was down still count, once', async () => {
      bed = await startPiTestBed();
      const args = daemonArgs(bed, bed.cluster.masterSpec, MAX_L, LEASES);
      const first = startDaemon(args);
      await waitFor(async () => {
        const s = await readFrameworkState(bed.stateDir);
        return s && s.ledger.prefixEnd > 0 && s.ledger.inFlight.some((t) => (t.parts?.length ?? 0) > 1);
      }, 60_000, 'a task with ranges still owed');
      first.child.kill('SIGKILL');
      await first.exited;
      const second = startDaemon(args);
      const end = await second.exited;
      expect(end.code, second.output()).to.equal(0);
      await expectExactRun(bed.stateDir, MAX_L);
    });
  });
});
