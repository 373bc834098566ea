// Runs the clients against a real Mesos master when MESOS_MASTER=host:port (or zk://…) is set,
// e.g. MESOS_MASTER=127.0.0.1:5050 npx mocha dist/test/mesos/real-master.test.js.
// Optional: MESOS_PRINCIPAL and MESOS_SECRET_FILE for basic authentication.
import { expect } from 'chai';
import { MemoryLogger } from '../../src/common/logger';
import { loadCredentials } from '../../src/mesos/credentials';
import { OperatorClient } from '../../src/mesos/operator';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { Offer, TaskStatus } from '../../src/mesos/types';
import { nextEvent, waitFor } from '../support/mesos/wait';

const MASTER = process.env.MESOS_MASTER;

describe(`against a real Mesos master (${MASTER ? `MESOS_MASTER=${MASTER}` : 'skipped: set MESOS_MASTER=host:port to run'})`, function () {
  this.timeout(60000);
  const credentials = process.env.MESOS_SECRET_FILE
    ? loadCredentials(process.env.MESOS_SECRET_FILE, process.env.MESOS_PRINCIPAL) : undefined;
  let client: SchedulerClient | undefined;

  before(function () {
    if (!MASTER) this.skip();
  });

  afterEach(async () => {
    if (client?.subscribed) await client.teardown().catch(() => undefined);
    await client?.stop();
    client = undefined;
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`subscribes, gets a heartbeat, reconciles, declines offers and tears down (${encoding})`, async () => {
      const logger = new MemoryLogger();
      client = new SchedulerClient({
        master: MASTER as string,
        framework: { user: process.env.USER || 'nobody', name: `pi-mesos client test (${encoding})`, failover_timeout: 30 },
        encoding,
        credentials,
        backoff: { initialMs: 200, maxMs: 2000 },
        logger,
      });
      const c = client;
      const offers: Offer[] = [];
      c.on('offers', (o) => {
        offers.push(...o);
        void c.decline(o.map((x) => x.id), { refuse_seconds: 30 });
      });
      const subscribed = nextEvent<[{ frameworkId: string; heartbeatIntervalSeconds: number }]>(c, 'subscribed', 30000);
      const heartbeat = nextEvent(c, 'heartbeat', 30000);
      c.start();
      const [info] = await subscribed;
      expect(info.frameworkId).to.be.a('string').and.not.equal('');
      expect(info.heartbeatIntervalSeconds).to.be.greaterThan(0);
      await heartbeat; // Mesos sends the first one right after SUBSCRIBED
      // Listen before asking: a real master answers at once, before the call's own response.
      const answer = nextEvent<[TaskStatus]>(c, 'update', 30000, (s: TaskStatus) => s.task_id.value === 'pi-mesos-no-such-task');
      const res = await c.reconcile([{ task_id: 'pi-mesos-no-such-task' }]);
      expect(res.status).to.equal(202);
      const [status] = await answer;
      expect(['TASK_LOST', 'TASK_UNKNOWN']).to.include(status.state);
      expect(status.uuid).to.equal(undefined);
      const operator = new OperatorClient({ master: MASTER as string, encoding, credentials });
      try {
        const agents = await operator.getAgents();
        if (agents.length > 0) {
          await waitFor(() => offers.length > 0, 30000, 'an offer');
          expect(agents.map((a) => a.id)).to.include(offers[0].agent_id.value);
        }
        const metrics = await operator.getMetrics();
        expect(metrics['master/elected']).to.equal(1);
      } finally {
        await operator.close();
      }
    });
  }
});
