// Tests of the test double alone: what the test master does, seen through the product's
// SchedulerClient. They check the double against Mesos's documented behaviour (lost agents,
// reconciliation, filters, invalid launches), so the product's tests can trust it.
import { expect } from 'chai';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, TaskStatus } from '../../src/mesos/types';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { fastClient, fastCluster, testTask } from './helpers';

describe('test double: master behaviour seen through SchedulerClient', function () {
  this.timeout(15000);
  let cluster: TestMesosCluster;
  let client: SchedulerClient | undefined;
  let updates: TaskStatus[];

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await cluster?.stop();
  });

  async function start(partitionAware: boolean, agents = 1): Promise<Offer[]> {
    cluster = fastCluster();
    await cluster.start();
    for (let i = 0; i < agents; i++) await cluster.addAgent({ hostname: `pi${i}`, cpus: 2, mem: 512 });
    client = fastClient(cluster.masterSpec, {
      framework: {
        user: 'nobody', name: 'behaviour', failover_timeout: 60, checkpoint: true,
        capabilities: partitionAware ? [{ type: 'PARTITION_AWARE' }] : [],
      },
    });
    updates = [];
    const c = client;
    c.on('update', (s) => {
      updates.push(s);
      void c.acknowledge(s);
    });
    const offered = nextEvent<[Offer[]]>(c, 'offers', 5000, (o: Offer[]) => o.length === agents);
    c.start();
    return (await offered)[0];
  }

  for (const [partitionAware, how, expected] of [
    [true, 'unreachable', 'TASK_UNREACHABLE'],
    [false, 'unreachable', 'TASK_LOST'],
    [true, 'gone', 'TASK_GONE_BY_OPERATOR'],
  ] as const) {
    it(`reports ${expected} for tasks on a lost agent (${how}, ${partitionAware ? '' : 'not '}partition-aware), without a uuid`, async () => {
      const [offer] = await start(partitionAware);
      const task = testTask(offer, { mode: 'run' });
      await client?.launch([offer.id], [task]);
      await waitFor(() => updates.some((u) => u.state === 'TASK_RUNNING'), 8000, 'RUNNING');
      await cluster.loseAgent(offer.agent_id.value, how);
      await waitFor(() => updates.some((u) => u.state === expected), 5000, expected);
      const lost = updates.find((u) => u.state === expected) as TaskStatus;
      expect(lost.uuid).to.equal(undefined);
      expect(lost.source).to.equal('SOURCE_MASTER');
      // Explicit reconciliation of a task the master never knew, on that agent.
      await client?.reconcile([{ task_id: 'never-launched', agent_id: offer.agent_id }]);
      await waitFor(() => updates.some((u) => u.task_id.value === 'never-launched'), 5000, 'reconciliation answer');
      const answer = updates.find((u) => u.task_id.value === 'never-launched') as TaskStatus;
      const reconciled = partitionAware ? (how === 'unreachable' ? 'TASK_UNREACHABLE' : 'TASK_GONE_BY_OPERATOR') : 'TASK_LOST';
      expect(answer.state).to.equal(reconciled);
      expect(answer.reason).to.equal('REASON_RECONCILIATION');
    });
  }

  it('reconciles: latest state without uuid or data, implicit and explicit', async () => {
    const [offer] = await start(true);
    const done = testTask(offer, { mode: 'finish', result: 'secret result' });
    const live = testTask(offer, { mode: 'run' });
    await client?.launch([offer.id], [done, live]);
    await waitFor(() => updates.some((u) => u.state === 'TASK_FINISHED') && updates.some((u) => u.task_id.value === live.task_id.value), 8000, 'updates');
    const before = updates.length;
    await client?.reconcile();
    await waitFor(() => updates.length > before, 5000, 'implicit answer');
    const implicit = updates.slice(before);
    expect(implicit.map((u) => u.task_id.value)).to.deep.equal([live.task_id.value]);
    expect(implicit[0]).to.include({ state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION' });
    expect(implicit[0].uuid).to.equal(undefined);
    const mark = updates.length;
    await client?.reconcile([{ task_id: done.task_id }]);
    await waitFor(() => updates.length > mark, 5000, 'explicit answer');
    const explicit = updates[mark];
    // Mesos forgets a task once its terminal update is acknowledged: a partition-aware framework
    // hears TASK_UNKNOWN (master.cpp Master::reconcile; the differential test checks it on a real master).
    expect(explicit.state).to.equal('TASK_UNKNOWN');
    expect(explicit.data).to.equal(undefined); // the master keeps no TaskStatus.data
    expect(explicit.uuid).to.equal(undefined);
  });

  it('honours DECLINE filters, SUPPRESS and REVIVE, and rescinds offers', async () => {
    const offers = await start(false, 2);
    const c = client as SchedulerClient;
    const seen: Offer[] = [];
    c.on('offers', (o) => seen.push(...o));
    await c.decline(offers.map((o) => o.id), { refuse_seconds: 60 });
    const fw = cluster.framework();
    expect([...(fw?.filters.keys() ?? [])].sort()).to.deep.equal(offers.map((o) => o.agent_id.value).sort());
    expect(cluster.offers.size).to.equal(0);
    await c.suppress();
    expect(fw?.suppressed).to.equal(true);
    await c.revive();
    expect(fw?.suppressed).to.equal(false);
    await waitFor(() => seen.length >= 2, 5000, 'offers after REVIVE');
    const rescinded = nextEvent<[{ value: string }]>(c, 'rescind');
    cluster.rescindAllOffers();
    const [id] = await rescinded;
    expect(seen.map((o) => o.id.value)).to.include(id.value);
  });

  it('answers invalid launches with master updates: TASK_ERROR for too many resources, TASK_LOST for a bad offer', async () => {
    const [offer] = await start(false);
    const big = testTask(offer, { mode: 'run' });
    big.resources = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 64 } }];
    await client?.launch([offer.id], [big]);
    await waitFor(() => updates.some((u) => u.task_id.value === big.task_id.value), 5000, 'TASK_ERROR');
    expect(updates[0]).to.include({ state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', source: 'SOURCE_MASTER' });
    const stale = testTask(offer, { mode: 'run' });
    await client?.launch([offer.id], [stale]);
    await waitFor(() => updates.some((u) => u.task_id.value === stale.task_id.value), 5000, 'TASK_LOST');
    expect(updates.find((u) => u.task_id.value === stale.task_id.value)).to.include({ state: 'TASK_LOST', reason: 'REASON_INVALID_OFFERS' });
  });
});
