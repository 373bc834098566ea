// Rules of Mesos 1.12 the test double follows, each checked on the double alone (the differential
// test compares the double with a real master where a real cluster can show the rule quickly).
import { expect } from 'chai';
import type { IncomingMessage } from 'http';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, TaskStatus } from '../../src/mesos/types';
import { TestMesosCluster } from '../support/mesos/cluster';
import { acceptsMediaType } from '../support/mesos/http-util';
import { addRes, containsRes, formatRes, fromProto, parseAgentResources } from '../support/mesos/resources';
import { waitFor } from '../support/wait';
import { fastClient, fastCluster, testExecutorInfo, testTask } from './helpers';

describe('test double: Mesos rules', function () {
  this.timeout(30000);
  let cluster: TestMesosCluster;
  let client: SchedulerClient | undefined;
  let offers: Offer[];
  let updates: TaskStatus[];

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await cluster?.stop();
  });

  async function start(opts: { acks?: boolean; roles?: string[]; agent?: Parameters<TestMesosCluster['addAgent']>[0]; cluster?: Parameters<typeof fastCluster>[0] } = {}): Promise<SchedulerClient> {
    cluster = fastCluster(opts.cluster);
    await cluster.start();
    await cluster.addAgent(opts.agent ?? { cpus: 2, mem: 1024 });
    offers = [];
    updates = [];
    const framework = opts.roles
      ? { user: 'nobody', name: 'double rules', failover_timeout: 60, checkpoint: true, roles: opts.roles, capabilities: [{ type: 'MULTI_ROLE' as const }] }
      : undefined;
    const c = fastClient(cluster.masterSpec, framework ? { framework } : {});
    c.on('offers', (o: Offer[]) => offers.push(...o));
    c.on('update', (s: TaskStatus) => {
      updates.push(s);
      if (s.uuid && opts.acks !== false) void c.acknowledge(s).catch(() => undefined);
    });
    c.start();
    client = c;
    await waitFor(() => offers.length > 0, 5000, 'an offer');
    return c;
  }

  it('Accept negotiation is libprocess acceptsMediaType: JSON first, q=0 refuses, empty header accepts nothing', () => {
    expect(acceptsMediaType(undefined, 'application/json')).to.equal(true);
    expect(acceptsMediaType('application/x-protobuf', 'application/json')).to.equal(false);
    expect(acceptsMediaType('application/*', 'application/json')).to.equal(true);
    expect(acceptsMediaType('application/json;q=0, */*', 'application/json')).to.equal(false);
    expect(acceptsMediaType('', 'application/json')).to.equal(false);
  });

  it('resources: reservations and allocation roles are kinds of their own (Resources::contains), printed as Mesos does', () => {
    const agent = parseAgentResources('cpus(pi):2;mem(pi):2048;cpus:2;mem:2048');
    const pi = fromProto([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'pi', allocation_info: { role: 'pi' } }]);
    const star = fromProto([{ name: 'cpus', type: 'SCALAR', scalar: { value: 3 }, role: '*', allocation_info: { role: 'pi' } }]);
    const offered = agent.map((r) => ({ ...r, allocRole: 'pi' }));
    expect(containsRes(offered, pi)).to.equal(true);
    expect(containsRes(offered, star)).to.equal(false);
    expect(containsRes(agent, pi)).to.equal(false); // allocation role differs
    expect(formatRes(addRes(star, pi))).to.equal('cpus(allocated: pi):3; cpus(allocated: pi)(reservations: [(STATIC,pi)]):1');
  });

  it('offers carry url, and allocation_info only for MULTI_ROLE frameworks; static reservations are offered to their role only', async () => {
    await start({ roles: ['pi'], agent: { resources: 'cpus(pi):1;mem(pi):512;cpus:1;mem:512;cpus(other):5' } });
    const [o] = offers;
    expect(o.url?.scheme).to.equal('http');
    expect(o.url?.path).to.equal('/slave(1)');
    expect(o.allocation_info?.role).to.equal('pi');
    const kinds = (o.resources ?? []).map((r) => `${r.name}(${r.role})${r.allocation_info?.role}`).sort();
    expect(kinds).to.deep.equal(['cpus(*)pi', 'cpus(pi)pi', 'mem(*)pi', 'mem(pi)pi']);
  });

  it('charges an executor once, lists it in Offer.executor_ids, and refuses a task with more than the offer holds (TASK_ERROR, Mesos message)', async () => {
    const c = await start({ agent: { cpus: 1, mem: 1024 } });
    const offer = offers[offers.length - 1];
    // 0.5 + 0.5 cpus for two tasks + 0.1 for the executor does not fit 1 cpu; 0.4 + 0.5 + 0.1 does.
    const a = testTask(offer, { mode: 'run' });
    a.resources = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.4 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }];
    const b = testTask(offer, { mode: 'run' });
    const d = testTask(offer, { mode: 'run' });
    await c.launch([offer.id], [a, b, d]);
    await waitFor(() => updates.filter((u) => u.state === 'TASK_RUNNING').length === 2 && updates.some((u) => u.state === 'TASK_ERROR'), 8000, 'two running, one error');
    const error = updates.find((u) => u.state === 'TASK_ERROR') as TaskStatus;
    expect(error.task_id.value).to.equal(d.task_id.value);
    expect(error.message).to.match(/^Total resources cpus\(allocated: \*\):0\.5; mem\(allocated: \*\):64 required by task and its executor is more than available /);
    offers.length = 0;
    await c.revive();
    await waitFor(() => offers.length > 0, 5000, 'an offer after launch');
    expect((offers[0].executor_ids ?? []).map((e) => e.value)).to.deep.equal([testExecutorInfo().executor_id.value]);
  });

  it('refuses a task whose ExecutorInfo differs from the live executor of that ID, but not for labels or URI order', async () => {
    const c = await start();
    const offer = offers[offers.length - 1];
    const first = testTask(offer, { mode: 'run' });
    const relabelled = testTask(offer, { mode: 'run' }, { ...testExecutorInfo(), labels: { labels: [{ key: 'x', value: 'y' }] } } as ReturnType<typeof testExecutorInfo>);
    const changed = testTask(offer, { mode: 'run' }, { ...testExecutorInfo(), name: 'another name' });
    await c.launch([offer.id], [first, relabelled, changed]);
    await waitFor(() => updates.some((u) => u.task_id.value === changed.task_id.value), 8000, 'error');
    const err = updates.find((u) => u.task_id.value === changed.task_id.value) as TaskStatus;
    expect(err.state).to.equal('TASK_ERROR');
    expect(err.message).to.match(/^ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID\./);
    await waitFor(() => updates.filter((u) => u.state === 'TASK_RUNNING').length === 2, 8000, 'both compatible tasks run');
  });

  it('a task user this machine does not have is TASK_LOST from the agent, with FAILURE of its executor', async () => {
    const c = await start();
    const failures: unknown[] = [];
    c.on('failure', (f: unknown) => failures.push(f));
    const offer = offers[offers.length - 1];
    const exec = testExecutorInfo('nouser');
    exec.command = { ...exec.command, user: 'pi-mesos-no-such-user' };
    const t = testTask(offer, { mode: 'finish' }, exec);
    await c.launch([offer.id], [t]);
    await waitFor(() => updates.some((u) => u.task_id.value === t.task_id.value), 8000, 'update');
    const u = updates.find((x) => x.task_id.value === t.task_id.value) as TaskStatus;
    expect(u).to.include({ state: 'TASK_LOST', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED' });
    expect(u.message).to.match(/Failed to chown directory to 'pi-mesos-no-such-user': No such user 'pi-mesos-no-such-user'$/);
    await waitFor(() => failures.length > 0, 5000, 'FAILURE');
  });

  for (const partitionAware of [false, true]) {
    it(`a task for an executor that is terminating is never launched: ${partitionAware ? 'TASK_DROPPED' : 'TASK_LOST'} "Executor terminating" from the agent`, async () => {
      cluster = fastCluster();
      await cluster.start();
      // The executor ignores SHUTDOWN: it stays terminating until this grace period ends.
      const agent = await cluster.addAgent({ cpus: 2, mem: 1024, executorShutdownGracePeriodMs: 30_000 });
      offers = [];
      updates = [];
      const c = fastClient(cluster.masterSpec, { framework: {
        user: 'nobody', name: 'double rules', failover_timeout: 60, checkpoint: true,
        capabilities: partitionAware ? [{ type: 'PARTITION_AWARE' }] : [],
      } });
      client = c;
      c.on('offers', (o: Offer[]) => offers.push(...o));
      c.on('update', (s: TaskStatus) => {
        updates.push(s);
        if (s.uuid) void c.acknowledge(s).catch(() => undefined);
      });
      c.start();
      await waitFor(() => offers.length > 0, 5000, 'an offer');
      const first = testTask(offers[0], { mode: 'run', ignoreShutdown: true });
      await c.launch([offers[0].id], [first], { refuse_seconds: 0 }); // the rest is offered again at once
      await waitFor(() => updates.some((u) => u.task_id.value === first.task_id.value && u.state === 'TASK_RUNNING'), 8000, 'the first task running');
      await waitFor(() => offers.length > 1, 5000, 'an offer of the rest');
      const rest = offers[offers.length - 1];
      await c.shutdown('test-executor', rest.agent_id);
      const second = testTask(rest, { mode: 'finish' });
      await c.launch([rest.id], [second]);
      await waitFor(() => updates.some((u) => u.task_id.value === second.task_id.value), 8000, 'the second task\'s update');
      const u = updates.find((x) => x.task_id.value === second.task_id.value) as TaskStatus;
      expect(u).to.include({
        state: partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: 'Executor terminating',
      });
      expect(u.executor_id).to.equal(undefined);
      // Not the grace period: the executor goes now.
      const pid = [...agent.executors.values()][0]?.process?.pid;
      if (pid) process.kill(-pid, 'SIGKILL');
    });
  }

  it('builds the executor environment from scratch: agent variables, MESOS_*, default PATH; nothing inherited', async () => {
    process.env.PI_MESOS_DOUBLE_LEAK = 'leak';
    try {
      const c = await start({ agent: { cpus: 2, mem: 1024, env: { FROM_AGENT: 'yes' } } });
      const offer = offers[offers.length - 1];
      const t = testTask(offer, { mode: 'env' });
      await c.launch([offer.id], [t]);
      await waitFor(() => updates.some((u) => u.state === 'TASK_FINISHED'), 8000, 'env');
      const env = JSON.parse((updates.find((u) => u.state === 'TASK_FINISHED') as TaskStatus).data?.toString('utf8') ?? '{}');
      expect(env.names).to.include('FROM_AGENT').and.include('MESOS_SANDBOX').and.include('MESOS_SLAVE_PID').and.include('LIBPROCESS_PORT');
      expect(env.names).to.not.include('PI_MESOS_DOUBLE_LEAK');
      expect(env.names).to.not.include('HOME');
      expect(env.PATH).to.equal('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    } finally {
      delete process.env.PI_MESOS_DOUBLE_LEAK;
    }
  });

  it('status-update retries back off from the minimum, doubling to the maximum; a resubscription resends at once', async () => {
    const c = await start({ acks: false, cluster: { statusUpdateRetryMs: 100, statusUpdateRetryMaxMs: 400 } });
    const offer = offers[offers.length - 1];
    const t = testTask(offer, { mode: 'run' });
    const times: number[] = [];
    c.on('update', (s: TaskStatus) => { if (s.state === 'TASK_RUNNING') times.push(Date.now()); });
    await c.launch([offer.id], [t]);
    await waitFor(() => times.length >= 5, 8000, 'five deliveries');
    const gaps = times.slice(1).map((x, i) => x - times[i]);
    // 100, 200, 400, 400 (±scheduling)
    expect(gaps[0]).to.be.within(60, 190);
    expect(gaps[1]).to.be.within(150, 330);
    expect(gaps[2]).to.be.within(330, 600);
    expect(gaps[3]).to.be.within(330, 600);
    const before = times.length;
    const t0 = Date.now();
    cluster.dropSchedulerStreams(); // the client resubscribes; the agent resends without waiting
    await waitFor(() => times.length > before, 3000, 'resend after resubscription');
    expect(times[before] - t0).to.be.below(350);
  });

  it('after a failover, reconciliation of tasks on agents that have not re-registered gets no answer, then their state', async () => {
    const c = await start();
    const offer = offers[offers.length - 1];
    const t = testTask(offer, { mode: 'run' });
    await c.launch([offer.id], [t]);
    await waitFor(() => updates.some((u) => u.state === 'TASK_RUNNING'), 8000, 'RUNNING');
    await cluster.failover(0, { keepConnections: true, agentsReregister: 'manual' });
    const mark = updates.length;
    await c.reconcile([{ task_id: t.task_id, agent_id: offer.agent_id }]);
    await c.reconcile([{ task_id: { value: 'never-there' } }]);
    await c.reconcile();
    await new Promise((r) => setTimeout(r, 300));
    expect(updates.length).to.equal(mark);
    cluster.reregisterAgent(offer.agent_id.value);
    await c.reconcile([{ task_id: t.task_id, agent_id: offer.agent_id }]);
    await waitFor(() => updates.length > mark, 3000, 'answer');
    expect(updates[mark]).to.include({ state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION' });
  });

  it('filters hold a refused resource set per role: resources freed later make a new offer at once', async () => {
    const c = await start({ agent: { cpus: 2, mem: 1024 } });
    const offer = offers[offers.length - 1];
    const t = testTask(offer, { mode: 'finish', delayMs: 300 });
    await c.launch([offer.id], [t], { refuse_seconds: 3600 });
    offers.length = 0;
    await new Promise((r) => setTimeout(r, 150));
    expect(offers.length).to.equal(0); // the remainder is filtered
    await waitFor(() => offers.length > 0, 5000, 'offer once the task is done and its resources are free');
  });

  it('SUPPRESS and REVIVE act per role', async () => {
    const c = await start({ roles: ['a', 'b'], agent: { resources: 'cpus(a):1;mem(a):256;cpus(b):1;mem(b):256' } });
    await waitFor(() => new Set(offers.map((o) => o.allocation_info?.role)).size === 2, 5000, 'offers for both roles');
    await c.call({ type: 'SUPPRESS', suppress: { roles: ['a'] } });
    await c.decline(offers.map((o) => o.id), { refuse_seconds: 0 });
    offers.length = 0;
    await new Promise((r) => setTimeout(r, 200));
    expect(new Set(offers.map((o) => o.allocation_info?.role))).to.deep.equal(new Set(['b']));
    await c.call({ type: 'REVIVE', revive: { roles: ['a'] } });
    await waitFor(() => offers.some((o) => o.allocation_info?.role === 'a'), 5000, 'role a revived');
  });

  it('the executor API answers as the agent does: 415 with parameters, 400 Executor cannot be found', async () => {
    await start();
    const agent = [...cluster.agents.values()][0];
    const send = (headers: Record<string, string>, body: string): Promise<number> => new Promise((resolve, reject) => {
      const req = require('http').request({ host: '127.0.0.1', port: agent.port, path: '/api/v1/executor', method: 'POST', headers },
        (res: IncomingMessage) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end(body);
    });
    const call = JSON.stringify({ type: 'MESSAGE', framework_id: { value: 'f' }, executor_id: { value: 'e' }, message: { data: '' } });
    expect(await send({ 'Content-Type': 'application/json; charset=utf-8' }, call)).to.equal(415);
    expect(await send({}, call)).to.equal(400);
    expect(await send({ 'Content-Type': 'application/json' }, call)).to.equal(400);
  });
});
