import { expect } from 'chai';
import { MemoryLogger } from '../../src/common/logger';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, TaskStatus } from '../../src/mesos/types';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { fastClient, fastCluster, testTask } from './helpers';

describe('SchedulerClient against the test master', function () {
  this.timeout(15000);
  let cluster: TestMesosCluster;
  let client: SchedulerClient | undefined;

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await cluster?.stop();
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`subscribes, launches a task on an offer and gets its result in TASK_FINISHED (${encoding})`, async () => {
      cluster = fastCluster();
      await cluster.start();
      await cluster.addAgent({ hostname: 'pi1', cpus: 2, mem: 512 });
      client = fastClient(cluster.masterSpec, { encoding });
      const updates: TaskStatus[] = [];
      client.on('update', (s) => {
        updates.push(s);
        void client?.acknowledge(s);
      });
      const offered = nextEvent<[Offer[]]>(client, 'offers');
      const subscribed = nextEvent(client, 'subscribed');
      client.start();
      await subscribed;
      expect(client.state.status).to.equal('subscribed');
      const [offers] = await offered;
      expect(offers[0].hostname).to.equal('pi1');
      const task = testTask(offers[0], { mode: 'finish', result: 'partial sum 42' });
      await client.launch([offers[0].id], [task], { refuse_seconds: 0.05 });
      await waitFor(() => updates.some((u) => u.state === 'TASK_FINISHED'), 8000, 'TASK_FINISHED');
      const states = updates.map((u) => u.state);
      expect(states).to.deep.equal(['TASK_RUNNING', 'TASK_FINISHED']);
      const finished = updates[1];
      expect(finished.data?.toString()).to.equal('partial sum 42');
      expect(finished.source).to.equal('SOURCE_EXECUTOR');
      expect(finished.uuid?.length).to.equal(16);
      expect(finished.agent_id?.value).to.equal(offers[0].agent_id.value);
    });
  }
});
