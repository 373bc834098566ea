import { expect } from 'chai';
import { MesosAuthError } from '../../src/mesos/scheduler';
import { OperatorClient } from '../../src/mesos/operator';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, TaskStatus } from '../../src/mesos/types';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent } from '../support/mesos/wait';
import { fastClient, fastCluster, testTask } from './helpers';

describe('OperatorClient', function () {
  this.timeout(15000);
  let cluster: TestMesosCluster;
  let client: SchedulerClient | undefined;
  let operator: OperatorClient | undefined;

  afterEach(async () => {
    await operator?.close();
    operator = undefined;
    await client?.stop();
    client = undefined;
    await cluster?.stop();
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`reports per-agent total, allocated and offered resources via GET_AGENTS, from any master (${encoding})`, async () => {
      cluster = fastCluster({ masters: 2 });
      await cluster.start();
      await cluster.addAgent({ hostname: 'pi-a', cpus: 4, mem: 2048 });
      await cluster.addAgent({ hostname: 'pi-b', cpus: 2, mem: 1024 });
      client = fastClient(cluster.masterSpec);
      const running = nextEvent<[TaskStatus]>(client, 'update', 8000, (s: TaskStatus) => s.state === 'TASK_RUNNING');
      const offered = nextEvent<[Offer[]]>(client, 'offers', 5000, (o: Offer[]) => o.length === 2);
      client.on('update', (s) => void client?.acknowledge(s));
      client.start();
      const [offers] = await offered;
      const onA = offers.find((o) => o.hostname === 'pi-a') as Offer;
      await client.launch([onA.id], [testTask(onA, { mode: 'run' })], { refuse_seconds: 60 });
      await running;
      // Ask the non-leader: the client follows the redirect.
      await cluster.failover(1);
      operator = new OperatorClient({ master: cluster.masters[0].address, encoding });
      const agents = await operator.getAgents();
      const a = agents.find((x) => x.hostname === 'pi-a');
      const b = agents.find((x) => x.hostname === 'pi-b');
      expect(a?.active).to.equal(true);
      expect(a?.total).to.include({ cpus: 4, mem: 2048 });
      // Task 0.5 cpus / 64 MB plus its executor's 0.1 cpus / 32 MB.
      expect(a?.allocated).to.include({ cpus: 0.6, mem: 96 });
      expect(b?.total).to.include({ cpus: 2, mem: 1024 });
      expect(a?.id).to.equal(onA.agent_id.value);
    });
  }

  it('reads metrics through GET_METRICS and /metrics/snapshot', async () => {
    cluster = fastCluster();
    await cluster.start();
    await cluster.addAgent({ cpus: 3, mem: 512 });
    operator = new OperatorClient({ master: cluster.masterSpec });
    const metrics = await operator.getMetrics();
    expect(metrics['master/cpus_total']).to.equal(3);
    expect(metrics['master/mem_total']).to.equal(512);
    expect(metrics['master/slaves_active']).to.equal(1);
    expect(metrics['master/elected']).to.equal(1);
    const snapshot = await operator.metricsSnapshot();
    expect(snapshot['master/cpus_total']).to.equal(3);
  });

  it('names the principal when the master refuses it', async () => {
    cluster = fastCluster({ credentials: [{ principal: 'display', secret: 'ok' }] });
    await cluster.start();
    operator = new OperatorClient({ master: cluster.masterSpec, credentials: { principal: 'display', secret: 'bad' } });
    let error: Error | undefined;
    await operator.getAgents().catch((e: Error) => { error = e; });
    expect(error).to.be.instanceOf(MesosAuthError);
    expect(error?.message).to.match(/principal 'display'/);
    await operator.close();
    operator = new OperatorClient({ master: cluster.masterSpec, credentials: { principal: 'display', secret: 'ok' } });
    expect(await operator.getAgents()).to.deep.equal([]);
  });

  it('fails clearly when no master answers', async () => {
    cluster = fastCluster();
    await cluster.start();
    const address = cluster.masters[0].address;
    await cluster.stop();
    operator = new OperatorClient({ master: address, timeoutMs: 2000 });
    let error: Error | undefined;
    await operator.getMetrics().catch((e: Error) => { error = e; });
    expect(error?.message).to.match(/GET_METRICS failed: http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });
});
