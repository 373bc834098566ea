// What the scheduler client makes of each answer a master can give to SUBSCRIBE and to a call:
// which are fatal, which are retried, and the words that reach the log and the STATUS line. The
// statuses come from the test master's fault injection or, for answers no Mesos gives on demand
// (a redirect loop, a 200 without a stream id), from a scripted endpoint on loopback.
import { expect } from 'chai';
import { MemoryLogger } from '../../src/common/logger';
import { MasterDetector } from '../../src/mesos/detector';
import { MesosAuthError, MesosCallError, SchedulerClient } from '../../src/mesos/scheduler';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { scriptedEndpoint } from '../support/scripted-http';
import { fastClient, fastCluster, StubDetector } from './helpers';

describe('SchedulerClient: the answers a master gives, and what the client makes of them', function () {
  this.timeout(15000);
  let cluster: TestMesosCluster | undefined;
  const clients: SchedulerClient[] = [];
  const closers: (() => Promise<void>)[] = [];
  let log: MemoryLogger;

  beforeEach(() => { log = new MemoryLogger(); });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    for (const close of closers.splice(0)) await close();
    await cluster?.stop();
    cluster = undefined;
  });

  function client(master: string | MasterDetector, options: Parameters<typeof fastClient>[1] = {}): SchedulerClient {
    const c = fastClient(master, { logger: log, ...options });
    clients.push(c);
    return c;
  }

  async function started(): Promise<TestMesosCluster> {
    cluster = fastCluster();
    await cluster.start();
    return cluster;
  }

  describe('to SUBSCRIBE', () => {
    for (const [status, kind, words] of [
      [403, MesosAuthError, 'denied access to this framework (no principal/secret configured) (HTTP 403: Refused by fault injection)'],
      [418, MesosCallError, 'rejected SUBSCRIBE: HTTP 418 Refused by fault injection'],
    ] as const) {
      it(`${status} is fatal, not retried: "${words}"`, async () => {
        const c0 = await started();
        c0.faults.rejectWith = status;
        const c = client(c0.masterSpec);
        const fatal = nextEvent<[Error]>(c, 'fatal');
        c.start();
        const [err] = await fatal;
        expect(err).to.be.instanceOf(kind);
        expect(err.message).to.equal(`Mesos master ${c0.masters[0].url} ${words}`);
        expect((err as MesosCallError).status).to.equal(status);
        expect(c.state).to.deep.include({ status: 'failed', lastError: err.message, nextAttemptDelayMs: undefined });
        expect(c0.requests).to.equal(1);
        expect(log.has('error', /^Mesos master .* (denied access|rejected SUBSCRIBE)/)).to.equal(true);
        // start() after 'failed' tries afresh (the operator fixed the credentials, say).
        c0.faults.rejectWith = null;
        const subscribed = nextEvent(c, 'subscribed');
        c.start();
        await subscribed;
      });
    }

    it('a fatal answer from the first master ends the attempt: the next master is not asked', async () => {
      cluster = fastCluster({ masters: 2 });
      await cluster.start();
      cluster.faults.rejectWith = 403;
      const c = client(cluster.masterSpec);
      const fatal = nextEvent<[Error]>(c, 'fatal');
      c.start();
      await fatal;
      expect(cluster.requests).to.equal(1);
    });

    for (const [status, body, fatal, words] of [
      [400, 'bad', true, 'Mesos master URL rejected SUBSCRIBE: HTTP 400 bad'],
      [418, '', true, 'Mesos master URL rejected SUBSCRIBE: HTTP 418'],
      [403, '', true, 'Mesos master URL denied access to this framework (no principal/secret configured) (HTTP 403)'],
      [503, '', false, 'URL: no leading master yet (503)'],
      [503, 'electing\n', false, 'URL: no leading master yet (503: electing)'],
      [500, '', false, 'URL: HTTP 500'],
      [302, '', false, 'URL: HTTP 302'],
    ] as const) {
      it(`SUBSCRIBE answered ${status}${body ? '' : ' with no body'}: ${fatal ? 'fatal' : 'retried'}, "${words}"`, async () => {
        const m = await scriptedEndpoint((res) => { res.writeHead(status); res.end(body); });
        closers.push(m.close);
        const c = client(m.url);
        const outcome = fatal
          ? nextEvent<[Error]>(c, 'fatal').then(([e]) => e.message)
          : nextEvent<[number, string]>(c, 'reconnecting').then(([, r]) => r);
        c.start();
        expect(await outcome).to.equal(words.replace('URL', m.url));
      });
    }

    it('follows a redirect to a host name that resolves here', async () => {
      const leader = await scriptedEndpoint((res) => { res.writeHead(503); res.end(); });
      closers.push(leader.close);
      const follower = await scriptedEndpoint((res) => { res.writeHead(307, { Location: `//localhost:${leader.port}/api/v1/scheduler` }); res.end(); });
      closers.push(follower.close);
      const c = client(follower.url);
      const retry = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [, reason] = await retry;
      expect(reason).to.equal(`http://localhost:${leader.port}: no leading master yet (503)`);
      expect(leader.requests.length).to.equal(1);
    });

    it('a redirect to a name that does not resolve, and no other master that leads: says what to do', async () => {
      const other = await scriptedEndpoint((res) => { res.writeHead(503); res.end(); });
      closers.push(other.close);
      const follower = await scriptedEndpoint((res) => { res.writeHead(307, { Location: '//leader-pi.invalid:5050/api/v1/scheduler' }); res.end(); });
      closers.push(follower.close);
      const c = client(`${follower.hostPort},${other.hostPort}`);
      const retry = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [, reason] = await retry;
      expect(reason.split('; ')[0]).to.equal(`${follower.url}: redirected to http://leader-pi.invalid:5050, which does not resolve on this machine, and no other configured master `
        + 'answers as the leader (list every master in --master, or make the masters\' hostnames resolvable here)');
      expect(log.has('notice', /found the leader/)).to.equal(false);
    });

    it('a leader the detector reports ends the wait at once, whatever the backoff', async () => {
      const m = await scriptedEndpoint((res) => { res.writeHead(503); res.end(); });
      closers.push(m.close);
      const detector = new StubDetector();
      const c = client(detector, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
      const waiting = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [delay] = await waiting;
      expect(delay).to.be.at.least(30_000);
      expect(c.state).to.deep.include({ status: 'backoff', failedAttempts: 1 }); // one attempt, then the wait
      const now = nextEvent<[number, string]>(c, 'reconnecting', 5000, (_ms: number, r: string) => r === 'a leader appeared');
      detector.leader = m.url;
      detector.emit('leader', m.url);
      const [soon] = await now;
      expect(soon).to.equal(0);
      await waitFor(() => m.requests.length === 1, 5000, 'a SUBSCRIBE to the new leader');
    });


    it('401 names the principal whose credentials were refused', async () => {
      const c0 = await started();
      c0.faults.rejectWith = 401;
      const c = client(c0.masterSpec, { credentials: { principal: 'pi', secret: 's' } });
      const fatal = nextEvent<[MesosAuthError]>(c, 'fatal');
      c.start();
      const [err] = await fatal;
      expect(err.message).to.equal(`Mesos master ${c0.masters[0].url} refused the credentials of principal 'pi' (HTTP 401: Unauthorized)`);
      expect(err.principal).to.equal('pi');
    });

    for (const [status, words] of [
      [503, 'no leading master yet (503: Refused by fault injection)'],
      [404, 'no scheduler endpoint yet (404: a master still starting?)'],
      [500, 'HTTP 500 Refused by fault injection'],
    ] as const) {
      it(`${status} is retried with a backoff: "${words}", counted, and the client subscribes once it clears`, async () => {
        const c0 = await started();
        c0.faults.rejectWith = status;
        const c = client(c0.masterSpec);
        const delays: number[] = [];
        c.on('reconnecting', (ms) => delays.push(ms));
        c.start();
        await waitFor(() => delays.length >= 3, 5000, 'three retries');
        const state = c.state;
        expect(state.lastError).to.equal(`${c0.masters[0].url}: ${words}`);
        expect(state.status).to.equal('backoff');
        expect(state.failedAttempts).to.be.at.least(3);
        expect(log.has('warn', new RegExp(`^cannot subscribe to Mesos \\(${c0.masters[0].url.replace(/\./g, '\\.')}: `))).to.equal(true);
        const subscribed = nextEvent(c, 'subscribed');
        c0.faults.rejectWith = null;
        await subscribed;
        expect(c.state.status).to.equal('subscribed');
      });
    }

    it('gives the reason of every configured master, in order, when none will take it', async () => {
      cluster = fastCluster({ masters: 2 });
      await cluster.start();
      cluster.faults.rejectWith = 503;
      const c = client(cluster.masterSpec);
      const retry = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [, reason] = await retry;
      const [a, b] = cluster.masters.map((m) => m.url);
      expect(reason).to.equal(`${a}: no leading master yet (503: Refused by fault injection); ${b}: no leading master yet (503: Refused by fault injection)`);
    });

    it('while the detector knows why no leader can be found, that is the reason, kept quiet at debug', async () => {
      // A detector with no candidates: first without a reason (ZooKeeper not heard from yet), then with one.
      const detector = new StubDetector();
      const c = client(detector);
      const reasons: string[] = [];
      c.on('reconnecting', (_ms, reason) => reasons.push(reason));
      c.start();
      await waitFor(() => reasons.length >= 2, 5000, 'two attempts');
      expect(reasons[0]).to.equal('no leading master known yet (zk://zk1:2181/mesos)');
      expect(log.lines[0]).to.deep.equal({ level: 'info', msg: 'cannot subscribe to Mesos (no leading master known yet (zk://zk1:2181/mesos))' });
      expect(log.lines[1]).to.deep.equal({ level: 'warn', msg: 'cannot subscribe to Mesos (no leading master known yet (zk://zk1:2181/mesos))' });
      detector.why = 'ZooKeeper at zk1:2181 does not answer';
      const n = reasons.length;
      await waitFor(() => reasons.length >= n + 2, 5000, 'two more attempts');
      expect(reasons.slice(n)).to.deep.equal(['ZooKeeper at zk1:2181 does not answer', 'ZooKeeper at zk1:2181 does not answer']);
      expect(c.state).to.deep.include({ status: 'backoff', lastError: 'ZooKeeper at zk1:2181 does not answer' });
      const quiet = log.lines.filter((l) => l.msg === 'cannot subscribe to Mesos (ZooKeeper at zk1:2181 does not answer)');
      expect(quiet.length).to.be.at.least(2);
      expect(quiet.every((l) => l.level === 'debug')).to.equal(true);
    });

    it('follows at most maxRedirects redirects, then says where the last one pointed', async () => {
      // A master that names itself as the leader: no Mesos does it, a broken proxy might.
      const loop = await scriptedEndpoint((res, { port }) => { res.writeHead(307, { Location: `//127.0.0.1:${port}/api/v1/scheduler` }); res.end(); });
      closers.push(loop.close);
      const c = client(loop.url, { maxRedirects: 2 });
      const retry = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [, reason] = await retry;
      expect(reason).to.equal(`${loop.url}: too many redirects (last to ${loop.url})`);
      expect(loop.requests.length).to.equal(3); // the first SUBSCRIBE and two redirects followed
      expect(log.lines.filter((l) => l.level === 'info' && l.msg === `Mesos master ${loop.url} is not the leader; redirected to ${loop.url}`)).to.have.length(2);
    });

    it('a 307 without a Location is retried, and says so', async () => {
      const bare = await scriptedEndpoint((res) => { res.writeHead(307); res.end(); });
      closers.push(bare.close);
      const c = client(bare.url);
      const retry = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [, reason] = await retry;
      expect(reason).to.equal(`${bare.url}: 307 without a Location`);
    });

    it('follows a redirect to an IPv6 literal without a name lookup', async function () {
      const leader = await scriptedEndpoint((res) => { res.writeHead(503); res.end('no leader elected yet'); }, '::1').catch(() => undefined);
      if (!leader) this.skip(); // no IPv6 loopback on this machine
      closers.push(leader!.close);
      const follower = await scriptedEndpoint((res) => { res.writeHead(307, { Location: `//[::1]:${leader!.port}/api/v1/scheduler` }); res.end(); });
      closers.push(follower.close);
      const c = client(follower.url);
      const retry = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [, reason] = await retry;
      // Straight to ::1, not through the search among the configured masters for a name that does not resolve.
      expect(reason).to.equal(`http://[::1]:${leader!.port}: no leading master yet (503: no leader elected yet)`);
      expect(leader!.requests.length).to.equal(1);
      expect(log.has('info', new RegExp(`^Mesos master ${follower.url} is not the leader; redirected to http://\\[::1\\]:${leader!.port}$`))).to.equal(true);
    });

    it('a 200 without a Mesos-Stream-Id is no subscription: retried, and no stream is lost', async () => {
      const odd = await scriptedEndpoint((res) => { res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }); res.end(); });
      closers.push(odd.close);
      const c = client(odd.url);
      let disconnects = 0;
      c.on('disconnected', () => disconnects++);
      const retry = nextEvent<[number, string]>(c, 'reconnecting');
      c.start();
      const [, reason] = await retry;
      expect(reason).to.equal(`${odd.url}: SUBSCRIBE answer has no Mesos-Stream-Id header`);
      expect(disconnects).to.equal(0);
    });

    it('a stream that ends before SUBSCRIBED is a failed attempt, not a lost subscription', async () => {
      const early = await scriptedEndpoint((res) => {
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Mesos-Stream-Id': 'abc' });
        res.end();
      });
      closers.push(early.close);
      const c = client(early.url);
      let disconnects = 0;
      c.on('disconnected', () => disconnects++);
      const retries: string[] = [];
      c.on('reconnecting', (_ms, reason) => retries.push(reason));
      c.start();
      await waitFor(() => retries.length >= 2, 5000, 'two retries');
      expect(disconnects).to.equal(0);
      expect(c.state.reconnects).to.equal(0);
      expect(log.has('warn', /^lost the Mesos subscription/)).to.equal(false);
      expect(retries[0]).to.match(/^the (master closed the event stream|event stream connection closed)$/);
    });
  });

  describe('to a call', () => {
    async function subscribedClient(c0: TestMesosCluster): Promise<SchedulerClient> {
      const c = client(c0.masterSpec);
      const p = nextEvent(c, 'subscribed');
      c.start();
      await p;
      return c;
    }

    it('a refusal carries the call, the master, the status and the body', async () => {
      const c0 = await started();
      const c = await subscribedClient(c0);
      const fw = c0.framework();
      if (fw) fw.streamId = 'someone-else';
      const err = await c.reconcile().then(() => undefined, (e: MesosCallError) => e);
      expect(err).to.be.instanceOf(MesosCallError);
      expect(err?.status).to.equal(400);
      expect(err?.message).to.equal(`RECONCILE refused by ${c0.masters[0].url}: HTTP 400 ${err?.body}`);
      expect(err?.body).to.match(/stream ID/);
      expect(log.has('error', /^Mesos master rejected RECONCILE as malformed \(400\): The stream ID/)).to.equal(true);
    });

    it('a 307 to a call means the master lost leadership: the client moves to the leader its Location names', async () => {
      cluster = fastCluster({ masters: 2 });
      await cluster.start();
      const c = await subscribedClient(cluster);
      expect(c.state.master).to.equal(cluster.masters[0].url);
      // Leadership moves while this client's connection to the old master stays (a Mesos master
      // that loses leadership exits; a proxy in front of it, or a master not yet aware, answers
      // like this): only its answers tell.
      await cluster.failover(1, { keepConnections: true });
      const disconnected = nextEvent<[string]>(c, 'disconnected');
      const again = nextEvent(c, 'subscribed');
      const err = await c.revive().then(() => undefined, (e: MesosCallError) => e);
      expect(err?.status).to.equal(307);
      const [reason] = await disconnected;
      // The Location names the new leader: the client moves there at once.
      expect(reason).to.equal(`leader moved to ${cluster.masters[1].url}`);
      expect(log.has('notice', new RegExp(`^Mesos leader moved from ${cluster.masters[0].url} to ${cluster.masters[1].url}: resubscribing$`))).to.equal(true);
      await again;
      expect(c.state.master).to.equal(cluster.masters[1].url);
      expect(c.state.reconnects).to.equal(1);
    });

    it('REVIVE, SUPPRESS and RECONCILE carry what they were given', async () => {
      const c0 = await started();
      const c = await subscribedClient(c0);
      await c.suppress(['*']);
      await c.revive(['*']);
      await c.suppress();
      await c.reconcile([{ task_id: 't1', agent_id: 'a1' }, { task_id: 't2' }]);
      const calls = c0.calls.filter((x) => (['SUPPRESS', 'REVIVE', 'RECONCILE'] as string[]).includes(x.type as string));
      expect(calls.map((x) => x.type)).to.deep.equal(['SUPPRESS', 'REVIVE', 'SUPPRESS', 'RECONCILE']);
      expect(calls[0].suppress?.roles).to.deep.equal(['*']);
      expect(calls[1].revive?.roles).to.deep.equal(['*']);
      expect(calls[2].suppress?.roles ?? []).to.deep.equal([]);
      expect(calls[3].reconcile?.tasks).to.deep.equal([
        { task_id: { value: 't1' }, agent_id: { value: 'a1' } },
        { task_id: { value: 't2' } },
      ]);
    });

    it('TEARDOWN ends the client: the stream the master closes is no loss and brings no resubscription', async () => {
      const c0 = await started();
      const c = await subscribedClient(c0);
      let disconnects = 0;
      c.on('disconnected', () => disconnects++);
      await c.teardown();
      expect(c.state.status).to.equal('stopped');
      expect(disconnects).to.equal(0);
      expect(log.has('warn', /lost the Mesos subscription/)).to.equal(false);
      expect(c0.calls.filter((x) => x.type === 'SUBSCRIBE')).to.have.length(1);
      // And a call after it is refused here, not sent.
      const err = await c.revive().then(() => undefined, (e: Error) => e);
      expect(err?.message).to.equal('cannot send REVIVE: not subscribed to a Mesos master');
    });
  });
});
