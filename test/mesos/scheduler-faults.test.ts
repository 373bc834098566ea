import { expect } from 'chai';
import { MemoryLogger } from '../../src/common/logger';
import { Backoff } from '../../src/mesos/backoff';
import { MesosAuthError, MesosFrameworkError, SchedulerClient } from '../../src/mesos/scheduler';
import { redirectTarget } from '../../src/mesos/transport';
import type { Offer, TaskStatus } from '../../src/mesos/types';
import { TestMesosCluster } from '../support/mesos/cluster';
import { scriptedEndpoint } from '../support/scripted-http';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { fastClient, fastCluster, testTask } from './helpers';

describe('SchedulerClient faults', function () {
  this.timeout(15000);
  let cluster: TestMesosCluster;
  const clients: SchedulerClient[] = [];

  function track(c: SchedulerClient): SchedulerClient {
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await cluster?.stop();
  });

  async function subscribed(c: SchedulerClient): Promise<void> {
    const p = nextEvent(c, 'subscribed');
    c.start();
    await p;
  }

  it('follows a 307 from a non-leading master to the leader named in Location', async () => {
    cluster = fastCluster({ masters: 3 });
    await cluster.start();
    await cluster.failover(2);
    // Only the non-leader is given: the client must learn the leader from the redirect.
    const client = track(fastClient(cluster.masters[0].address));
    await subscribed(client);
    expect(client.state.master).to.equal(cluster.masters[2].url);
    const subscribes = cluster.calls.filter((c) => c.type === 'SUBSCRIBE');
    expect(subscribes).to.have.length(1); // only the leader records calls
  });

  it('finds the leader among the configured masters when the 307 names a host that does not resolve here', async () => {
    cluster = fastCluster({ masters: 1 });
    await cluster.start();
    // A non-leading master as Mesos answers: Location is the leader's MasterInfo.hostname.
    const follower = await scriptedEndpoint((res) => {
      res.writeHead(307, { Location: `//leader-pi.invalid:${cluster.masters[0].port}/api/v1/scheduler` });
      res.end();
    });
    try {
      const logger = new MemoryLogger();
      const client = track(fastClient(`${follower.hostPort},${cluster.masters[0].address}`, { logger }));
      await subscribed(client);
      expect(client.state.master).to.equal(cluster.masters[0].url);
      expect(logger.has('notice', /named the leader http:\/\/leader-pi\.invalid:\d+, which does not resolve on this machine; found the leader among the configured masters at http:\/\/127\.0\.0\.1:\d+/)).to.equal(true);
      expect(follower.requests.length, 'the redirecting master is not asked again in the search').to.equal(1);
      // The search ends with the stream it found: no second SUBSCRIBE, no failed attempt after it.
      expect(cluster.calls.filter((x) => x.type === 'SUBSCRIBE')).to.have.length(1);
      expect(client.state).to.deep.include({ status: 'subscribed', failedAttempts: 0 });
    } finally {
      await follower.close();
    }
  });

  it('resolves scheme-relative and bare Location headers', () => {
    expect(redirectTarget('//10.0.0.2:5050/api/v1/scheduler', 'http://10.0.0.1:5050')).to.equal('http://10.0.0.2:5050');
    expect(redirectTarget('//m2:5050/api/v1/scheduler', 'https://m1:5050')).to.equal('https://m2:5050');
    expect(redirectTarget('m2:5051', 'http://m1:5050')).to.equal('http://m2:5051');
    expect(redirectTarget('http://m3:5050/master/redirect', 'https://m1:5050')).to.equal('http://m3:5050');
  });

  it('resubscribes after the stream is dropped, reusing the framework ID', async () => {
    cluster = fastCluster();
    await cluster.start();
    const client = track(fastClient(cluster.masterSpec));
    await subscribed(client);
    const firstId = client.frameworkId as string;
    const again = nextEvent<[{ frameworkId: string; resubscribed: boolean }]>(client, 'subscribed');
    const lost = nextEvent<[string]>(client, 'disconnected');
    cluster.dropSchedulerStreams();
    await lost;
    const [info] = await again;
    expect(info.frameworkId).to.equal(firstId);
    expect(info.resubscribed).to.equal(true);
    const subscribes = cluster.calls.filter((c) => c.type === 'SUBSCRIBE');
    expect(subscribes).to.have.length(2);
    expect(subscribes[0].subscribe?.framework_info.id).to.equal(undefined);
    expect(subscribes[1].subscribe?.framework_info.id?.value).to.equal(firstId);
    expect(subscribes[1].framework_id?.value).to.equal(firstId);
    expect(cluster.frameworks.size).to.equal(1);
    expect(client.state.reconnects).to.equal(1);
    expect(client.state.subscriptions).to.equal(2);
  });

  it('subscribes with a stored framework ID passed at start', async () => {
    cluster = fastCluster();
    await cluster.start();
    const client = track(fastClient(cluster.masterSpec, {
      framework: { user: 'nobody', name: 'stored', id: { value: 'stored-fw-0001' }, failover_timeout: 60 },
    }));
    const p = nextEvent<[{ frameworkId: string; resubscribed: boolean }]>(client, 'subscribed');
    client.start();
    const [info] = await p;
    expect(info).to.include({ frameworkId: 'stored-fw-0001', resubscribed: true });
    expect(cluster.calls[0].subscribe?.framework_info.id?.value).to.equal('stored-fw-0001');
  });

  it('treats a stream silent for 5 heartbeat intervals as dead and resubscribes', async () => {
    cluster = fastCluster({ heartbeatIntervalSeconds: 0.05 });
    await cluster.start();
    const logger = new MemoryLogger();
    const client = track(fastClient(cluster.masterSpec, { logger }));
    await subscribed(client);
    const again = nextEvent(client, 'subscribed');
    const silentAt = Date.now();
    cluster.silenceSchedulerStreams();
    const [reason] = await nextEvent<[string]>(client, 'disconnected', 5000);
    expect(reason).to.match(/no heartbeat for 250 ms/);
    expect(Date.now() - silentAt).to.be.at.least(200);
    await again;
    expect(logger.has('warn', new RegExp(`^no heartbeat from ${cluster.masters[0].url.replace(/\./g, '\\.')} for 250 ms: treating the stream as dead$`))).to.equal(true);
    expect(cluster.framework()?.subscribeCount).to.equal(2);
  });

  it('turns garbage on the stream into a logged error and a resubscription', async () => {
    cluster = fastCluster();
    await cluster.start();
    const logger = new MemoryLogger();
    const client = track(fastClient(cluster.masterSpec, { logger }));
    await subscribed(client);
    const again = nextEvent(client, 'subscribed');
    cluster.sendGarbage();
    const [reason] = await nextEvent<[string]>(client, 'disconnected');
    expect(reason).to.match(/malformed RecordIO stream/);
    await again;
    expect(logger.has('error', /malformed event stream/)).to.equal(true);
    expect(client.state.status).to.equal('subscribed');
  });

  it('survives a valid record holding an undecodable event', async () => {
    cluster = fastCluster();
    await cluster.start();
    const client = track(fastClient(cluster.masterSpec));
    await subscribed(client);
    const again = nextEvent(client, 'subscribed');
    cluster.sendGarbage(Buffer.from('3\n\xff\xff\xff', 'latin1'));
    const [reason] = await nextEvent<[string]>(client, 'disconnected');
    expect(reason).to.match(/cannot decode mesos\.v1\.scheduler\.Event/);
    await again;
  });

  it('flags a duplicated status update, and acknowledging it twice is harmless', async () => {
    cluster = fastCluster();
    await cluster.start();
    await cluster.addAgent({ cpus: 2, mem: 512 });
    const client = track(fastClient(cluster.masterSpec));
    const seen: { status: TaskStatus; duplicate: boolean }[] = [];
    client.on('update', (status, info) => {
      seen.push({ status, duplicate: info.duplicate });
      void client.acknowledge(status);
    });
    const offered = nextEvent<[Offer[]]>(client, 'offers');
    await subscribed(client);
    const [offers] = await offered;
    cluster.faults.duplicateUpdates = 1;
    await client.launch([offers[0].id], [testTask(offers[0], { mode: 'finish', result: 'r' })]);
    await waitFor(() => seen.some((s) => s.status.state === 'TASK_FINISHED'), 8000, 'TASK_FINISHED');
    const running = seen.filter((s) => s.status.state === 'TASK_RUNNING');
    expect(running).to.have.length(2);
    expect(running[0].duplicate).to.equal(false);
    expect(running[1].duplicate).to.equal(true);
    expect(running[1].status.uuid?.equals(running[0].status.uuid as Buffer)).to.equal(true);
    expect(seen.filter((s) => s.status.state === 'TASK_FINISHED').every((s) => !s.duplicate)).to.equal(true);
  });

  it('re-delivers an unacknowledged update until it is acknowledged, then the next one', async () => {
    cluster = fastCluster({ statusUpdateRetryMs: 50 });
    await cluster.start();
    await cluster.addAgent({ cpus: 2, mem: 512 });
    const client = track(fastClient(cluster.masterSpec));
    const seen: TaskStatus[] = [];
    client.on('update', (status) => seen.push(status));
    const offered = nextEvent<[Offer[]]>(client, 'offers');
    await subscribed(client);
    const [offers] = await offered;
    await client.launch([offers[0].id], [testTask(offers[0], { mode: 'finish', result: 'r' })]);
    await waitFor(() => seen.filter((s) => s.state === 'TASK_RUNNING').length >= 3, 5000, 'three RUNNING deliveries');
    // One at a time: FINISHED waits behind the unacknowledged RUNNING.
    expect(seen.every((s) => s.state === 'TASK_RUNNING')).to.equal(true);
    await client.acknowledge(seen[0]);
    await waitFor(() => seen.some((s) => s.state === 'TASK_FINISHED'), 5000, 'TASK_FINISHED');
  });

  it('reports 401 as a clear, non-retried error naming the principal', async () => {
    cluster = fastCluster({ credentials: [{ principal: 'pi', secret: 'right' }] });
    await cluster.start();
    const client = track(fastClient(cluster.masterSpec, { credentials: { principal: 'pi', secret: 'wrong' } }));
    const fatal = nextEvent<[Error]>(client, 'fatal');
    client.start();
    const [err] = await fatal;
    expect(err).to.be.instanceOf(MesosAuthError);
    expect(err.message).to.match(/principal 'pi'/).and.match(/401/);
    expect(client.state.status).to.equal('failed');
    // Not retried: the master saw one request, and 'failed' holds no retry timer (a backoff
    // state would carry its next delay).
    expect(cluster.requests).to.equal(1);
    expect(client.state.nextAttemptDelayMs).to.equal(undefined);
  });

  it('authenticates with the right principal and secret', async () => {
    cluster = fastCluster({ credentials: [{ principal: 'pi', secret: 'right' }] });
    await cluster.start();
    const client = track(fastClient(cluster.masterSpec, { credentials: { principal: 'pi', secret: 'right' } }));
    await subscribed(client);
    expect(cluster.calls[0].subscribe?.framework_info.principal).to.equal('pi');
    await client.reconcile();
  });

  it('answers a fault-injected 401 on every request the same way', async () => {
    cluster = fastCluster();
    await cluster.start();
    cluster.faults.rejectWith = 401;
    const client = track(fastClient(cluster.masterSpec));
    const [err] = await (async () => {
      const p = nextEvent<[Error]>(client, 'fatal');
      client.start();
      return p;
    })();
    expect(err.message).to.match(/no principal\/secret configured/);
  });

  it('backs off with bounded, growing delays while no master leads, then subscribes', async () => {
    cluster = fastCluster({ masters: 2 });
    await cluster.start();
    cluster.noLeader();
    const client = track(fastClient(cluster.masterSpec, { backoff: { initialMs: 10, maxMs: 80 } }));
    const delays: number[] = [];
    client.on('reconnecting', (ms) => delays.push(ms));
    client.start();
    await waitFor(() => delays.length >= 8, 5000, 'eight attempts');
    expect(delays.every((d) => d >= 5 && d <= 80)).to.equal(true, `delays ${delays.join(',')}`);
    expect(Math.max(...delays.slice(4))).to.be.greaterThan(Math.max(...delays.slice(0, 1)));
    expect(client.state.lastError).to.match(/503/);
    const p = nextEvent(client, 'subscribed');
    await cluster.failover(1);
    await p;
    expect(client.state.master).to.equal(cluster.masters[1].url);
  });

  it('Backoff: the delay doubles from initial to the cap and jitter keeps it within [initial/2, cap]', () => {
    for (const r of [0, 0.5, 0.999999]) {
      const b = new Backoff({ initialMs: 1000, maxMs: 15000, random: () => r });
      const delays = Array.from({ length: 12 }, () => b.next());
      expect(Math.min(...delays)).to.be.at.least(500);
      expect(Math.max(...delays)).to.be.at.most(15000);
      if (r === 0) expect(delays.slice(0, 6)).to.deep.equal([500, 1000, 2000, 4000, 7500, 7500]);
      b.reset();
      expect(b.next()).to.be.at.most(1000);
    }
  });

  it('surfaces ERROR distinctly and does not retry: "Framework failed over" to the old stream', async () => {
    cluster = fastCluster();
    await cluster.start();
    const first = track(fastClient(cluster.masterSpec));
    await subscribed(first);
    const errors: string[] = [];
    first.on('mesos_error', (m) => errors.push(m));
    const fatal = nextEvent<[Error]>(first, 'fatal');
    const second = track(fastClient(cluster.masterSpec, {
      framework: { user: 'nobody', name: 'takeover', id: { value: first.frameworkId as string }, failover_timeout: 60 },
    }));
    await subscribed(second);
    const [err] = await fatal;
    expect(err).to.be.instanceOf(MesosFrameworkError);
    expect(errors).to.deep.equal(['Framework failed over']);
    expect(first.state.status).to.equal('failed');
    expect(second.state.status).to.equal('subscribed');
    expect(cluster.framework()?.subscribeCount).to.equal(2);
  });

  it('kills the tasks of a framework that does not come back within failover_timeout', async () => {
    cluster = fastCluster();
    await cluster.start();
    const agent = await cluster.addAgent({ cpus: 2, mem: 512 });
    const client = track(fastClient(cluster.masterSpec, {
      framework: { user: 'nobody', name: 'short failover', failover_timeout: 0.2, checkpoint: true },
    }));
    const running = nextEvent<[TaskStatus]>(client, 'update', 8000, (s: TaskStatus) => s.state === 'TASK_RUNNING');
    const offered = nextEvent<[Offer[]]>(client, 'offers');
    await subscribed(client);
    const [offers] = await offered;
    await client.launch([offers[0].id], [testTask(offers[0], { mode: 'run' })]);
    await running;
    const id = client.frameworkId as string;
    await client.stop();
    await waitFor(() => cluster.framework(id)?.removed === true, 5000, 'framework removal');
    await waitFor(() => agent.executors.size === 0, 5000, 'executor shutdown');
    // Coming back after removal: ERROR, surfaced, not retried.
    const late = track(fastClient(cluster.masterSpec, {
      framework: { user: 'nobody', name: 'late', id: { value: id }, failover_timeout: 0.2 },
    }));
    const errored = nextEvent<[string]>(late, 'mesos_error');
    late.start();
    const [message] = await errored;
    expect(message).to.equal('Framework has been removed');
    expect(late.state.status).to.equal('failed');
  });

  it('moves to the new leader when the masters fail over, with the same framework ID', async () => {
    cluster = fastCluster({ masters: 2 });
    await cluster.start();
    const client = track(fastClient(cluster.masterSpec));
    await subscribed(client);
    const id = client.frameworkId;
    expect(client.state.master).to.equal(cluster.masters[0].url);
    const again = nextEvent<[{ master: string; frameworkId: string }]>(client, 'subscribed');
    await cluster.failover(1);
    const [info] = await again;
    expect(info.master).to.equal(cluster.masters[1].url);
    expect(info.frameworkId).to.equal(id);
  });

  it('rejects calls while not subscribed, without sending them', async () => {
    cluster = fastCluster();
    await cluster.start();
    const client = track(fastClient(cluster.masterSpec));
    let error: Error | undefined;
    await client.revive().catch((e: Error) => { error = e; });
    expect(error?.message).to.match(/not subscribed/);
    expect(cluster.calls).to.have.length(0);
  });

  it('surfaces a call refused by the master with its status (stream id mismatch → 400)', async () => {
    cluster = fastCluster();
    await cluster.start();
    const logger = new MemoryLogger();
    const client = track(fastClient(cluster.masterSpec, { logger }));
    await subscribed(client);
    const fw = cluster.framework();
    if (fw) fw.streamId = 'someone-else';
    let status: number | undefined;
    await client.suppress().catch((e: { status?: number }) => { status = e.status; });
    expect(status).to.equal(400);
    expect(logger.has('error', /malformed \(400\)/)).to.equal(true);
  });
});
