// The same scripted scheduler calls against a real Mesos 1.12 (../shared/real-mesos, started by
// the test) and against the test double, with status codes, 4xx bodies, event types and task
// states (normalised: no IDs, no timing) compared. Plain HTTP and JSON, so every header is ours.
import { expect } from 'chai';
import * as http from 'http';
import { randomUUID } from 'crypto';
import { TestMesosCluster } from '../support/mesos/cluster';
import { RealCluster, realMesosUnavailableReason, startRealCluster } from '../support/mesos/real-cluster';
import { TEST_EXECUTOR } from './helpers';

const AGENT_RESOURCES = 'cpus(pi):2;mem(pi):2048;cpus:2;mem:2048';
const AGENT_ENV = { PI_DIFF: '1' };
const unavailable = realMesosUnavailableReason();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Reply { status: number; body: string }

function post(master: string, body: string | Buffer, headers: Record<string, string>): Promise<Reply> {
  const [host, port] = master.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), path: '/api/v1/scheduler', method: 'POST', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON scheduler on a raw SUBSCRIBE stream. */
class RawScheduler {
  events: Json[] = [];
  frameworkId = '';
  streamId = '';
  private req?: http.ClientRequest;

  constructor(readonly master: string) {}

  /** SUBSCRIBE with `info`; with `frameworkId`, as the same framework coming back (failover). */
  subscribe(info: Json, frameworkId?: string): Promise<void> {
    const [host, port] = this.master.split(':');
    return new Promise((resolve, reject) => {
      this.req = http.request({
        host, port: Number(port), path: '/api/v1/scheduler', method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SUBSCRIBE: ${res.statusCode}`));
          return;
        }
        this.streamId = String(res.headers['mesos-stream-id']);
        let buf = Buffer.alloc(0);
        res.on('data', (c: Buffer) => {
          buf = Buffer.concat([buf, c]);
          for (;;) {
            const nl = buf.indexOf(10);
            if (nl < 0) break;
            const len = Number(buf.subarray(0, nl).toString());
            if (buf.length < nl + 1 + len) break;
            const event = JSON.parse(buf.subarray(nl + 1, nl + 1 + len).toString('utf8')) as Json;
            buf = buf.subarray(nl + 1 + len);
            if (event.type === 'SUBSCRIBED') {
              this.frameworkId = event.subscribed.framework_id.value;
              resolve();
            }
            this.events.push(event);
          }
        });
      });
      this.req.on('error', () => undefined);
      const id = frameworkId ? { value: frameworkId } : undefined;
      this.req.end(JSON.stringify({ type: 'SUBSCRIBE', framework_id: id, subscribe: { framework_info: { ...info, id } } }));
    });
  }

  call(call: Json, headers: Record<string, string> = {}): Promise<Reply> {
    return post(this.master, JSON.stringify({ framework_id: { value: this.frameworkId }, ...call }), {
      'Content-Type': 'application/json', 'Mesos-Stream-Id': this.streamId, ...headers,
    });
  }

  async next(pred: (e: Json) => boolean, ms: number, what: string): Promise<Json> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0];
      if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms; events: ${this.events.map((e) => e.type).join(',')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async offer(ms = 20000): Promise<Json> {
    const e = await this.next((x) => x.type === 'OFFERS', ms, 'offer');
    return e.offers.offers[0];
  }

  /** Task updates of one task until a terminal state (acknowledged as they come). */
  async taskStates(taskId: string, ms: number, terminal = /FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/): Promise<Json[]> {
    const out: Json[] = [];
    for (;;) {
      const e = await this.next((x) => x.type === 'UPDATE' && x.update.status.task_id.value === taskId, ms, `update of ${taskId}`);
      const s = e.update.status;
      out.push(s);
      if (s.uuid) {
        await this.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } });
      }
      if (terminal.test(s.state)) return out;
    }
  }

  close(): void {
    this.req?.destroy();
  }
}

interface Target { master: string; stop(): Promise<void> }

/** What is compared: per step, a normalised record. */
type Transcript = Record<string, unknown>;

const FW_INFO = (name: string): Json => ({
  user: 'root', name, roles: ['pi'], failover_timeout: 60, checkpoint: true,
  capabilities: [{ type: 'MULTI_ROLE' }],
});

function executorInfo(id: string, extra: Json = {}): Json {
  return {
    type: 'CUSTOM', executor_id: { value: id }, name: 'diff executor',
    command: { value: process.execPath, arguments: ['node', TEST_EXECUTOR], shell: false },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, role: 'pi' },
      { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, role: 'pi' },
    ],
    ...extra,
  };
}

function task(offer: Json, id: string, resources: Json[], executor: Json, instruction: Json): Json {
  return {
    name: id, task_id: { value: id }, agent_id: offer.agent_id, resources, executor,
    data: Buffer.from(JSON.stringify(instruction)).toString('base64'),
  };
}

/** The offer's own entry for (name, role), with `value` of it. */
function carve(offer: Json, name: string, role: string, value: number): Json {
  const r = (offer.resources as Json[]).find((x) => x.name === name && (x.role ?? '*') === role);
  if (!r) throw new Error(`offer has no ${name}(${role})`);
  return { ...r, scalar: { value } };
}

const norm = (s: string): string => s
  .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d+)?(-S\d+|-O\d+|-\d{4})?/g, '<id>')
  .replace(/\b[0-9a-f]{8}-(S|O)\d+\b|\b[0-9a-f]{8}-\d{4}\b/g, '<id>');

function states(list: Json[]): string[] {
  return list.map((s) => `${s.state}/${s.source}/${s.reason ?? '-'}`);
}

async function script(target: Target): Promise<Transcript> {
  const t: Transcript = {};
  const m = target.master;
  // Media types and headers.
  const sub = JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'x' } } });
  const r1 = await post(m, sub, { 'Content-Type': 'application/json; charset=utf-8' });
  t.contentTypeWithCharset = [r1.status, r1.body];
  const r2 = await post(m, sub, {});
  t.noContentType = [r2.status, r2.body];
  const r3 = await post(m, sub, { 'Content-Type': 'application/json', Accept: 'text/plain' });
  t.acceptTextPlain = [r3.status, r3.body];
  const r4 = await post(m, '{"type":"SUBSCRIBE"}', { 'Content-Type': 'application/json' });
  t.subscribeWithoutSubscribe = [r4.status, r4.body];
  const r5 = await post(m, JSON.stringify({ type: 'DECLINE', framework_id: { value: 'no-such-framework' }, decline: { offer_ids: [] } }),
    { 'Content-Type': 'application/json', 'Mesos-Stream-Id': randomUUID() });
  t.unknownFramework = [r5.status, r5.body];
  const r6 = await post(m, JSON.stringify({ type: 'DECLINE', decline: { offer_ids: [] } }), { 'Content-Type': 'application/json' });
  t.noFrameworkId = [r6.status, r6.body];

  const s = new RawScheduler(m);
  try {
    await s.subscribe(FW_INFO('pi-mesos differential'));
    // Mesos sends the first HEARTBEAT right after SUBSCRIBED, but not always in the same chunk:
    // wait for it rather than read whatever has arrived by now.
    const firstType = s.events[0]?.type;
    const heartbeat = await s.next((e) => e.type === 'HEARTBEAT', 20000, 'the first HEARTBEAT');
    t.firstEvents = [firstType, heartbeat.type];
    const noStream = await post(m, JSON.stringify({ framework_id: { value: s.frameworkId }, type: 'REVIVE' }), { 'Content-Type': 'application/json' });
    t.missingStreamId = [noStream.status, noStream.body];
    const wrongStream = await s.call({ type: 'REVIVE' }, { 'Mesos-Stream-Id': 'not-the-stream' });
    t.wrongStreamId = [wrongStream.status, norm(wrongStream.body)];
    const badAck = await s.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: Buffer.from('short').toString('base64') } });
    t.badAckUuid = [badAck.status, badAck.body];

    // The offer: url, allocation_info for a MULTI_ROLE framework, static reservation pre-refinement.
    let offer = await s.offer();
    t.offer = {
      url: offer.url ? [offer.url.scheme, typeof offer.url.address?.port, offer.url.path] : null,
      allocationRole: offer.allocation_info?.role,
      kinds: [...new Set((offer.resources as Json[]).filter((r) => r.name === 'cpus' || r.name === 'mem')
        .map((r) => `${r.name}(${r.role})[${r.allocation_info?.role}]${r.reservation ? 'dyn' : ''}`))].sort(),
    };

    // More unreserved cpus than the offer holds: TASK_ERROR "Total resources … more than available".
    const tooMuch = task(offer, 'diff-too-much', [{ name: 'cpus', type: 'SCALAR', scalar: { value: 3 }, role: '*' }],
      executorInfo('diff-exec'), { mode: 'finish' });
    let r = await s.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [tooMuch] } }], filters: { refuse_seconds: 0 } } });
    const tooMuchStates = await s.taskStates('diff-too-much', 15000);
    t.tooMuch = [r.status, states(tooMuchStates), String(tooMuchStates[0].message).replace(/available .*/, 'available …')];

    // A good launch from the offer's own entries: reserved cpus/mem; reports its environment.
    offer = await s.offer();
    const good = task(offer, 'diff-env', [carve(offer, 'cpus', 'pi', 0.5), carve(offer, 'mem', 'pi', 64)], executorInfo('diff-exec'), { mode: 'env' });
    r = await s.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [good] } }], filters: { refuse_seconds: 0 } } });
    const goodStates = await s.taskStates('diff-env', 60000);
    const env = JSON.parse(Buffer.from(goodStates[goodStates.length - 1].data ?? '', 'base64').toString('utf8') || '{}') as Json;
    t.good = [r.status, states(goodStates)];
    t.env = {
      names: (env.names as string[] ?? []).filter((n) => !['LIBPROCESS_IP', 'MESOS_NATIVE_JAVA_LIBRARY', 'MESOS_NATIVE_LIBRARY'].includes(n)),
      PATH: env.PATH, uid: env.uid,
    };

    // The executor lives on: later offers list it, and a different ExecutorInfo under its ID is refused.
    offer = await s.offer();
    t.executorIds = (offer.executor_ids as Json[] ?? []).map((e) => e.value);
    const other = executorInfo('diff-exec', { command: { value: process.execPath, arguments: ['node', TEST_EXECUTOR, '--other'], shell: false } });
    const incompatible = task(offer, 'diff-incompatible', [carve(offer, 'cpus', 'pi', 0.5), carve(offer, 'mem', 'pi', 64)], other, { mode: 'finish' });
    r = await s.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [incompatible] } }], filters: { refuse_seconds: 0 } } });
    const incStates = await s.taskStates('diff-incompatible', 15000);
    t.incompatible = [r.status, states(incStates), String(incStates[0].message).split('\n')[0]];

    // A task user the machine does not have.
    offer = await s.offer();
    const nouser = task(offer, 'diff-nouser', [carve(offer, 'cpus', 'pi', 0.5), carve(offer, 'mem', 'pi', 64)],
      executorInfo('diff-exec-nouser', { command: { value: process.execPath, arguments: ['node', TEST_EXECUTOR], shell: false, user: 'pi-mesos-no-such-user' } }),
      { mode: 'finish' });
    r = await s.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [nouser] } }], filters: { refuse_seconds: 0 } } });
    const nouserStates = await s.taskStates('diff-nouser', 30000);
    t.noUser = [r.status, states(nouserStates), /No such user 'pi-mesos-no-such-user'/.test(String(nouserStates[0].message))];
    t.noUserFailure = (await s.next((e) => e.type === 'FAILURE', 15000, 'FAILURE')).failure.executor_id?.value;

    // Invalid offer.
    offer = await s.offer();
    const stale = task(offer, 'diff-stale', [carve(offer, 'cpus', 'pi', 0.5)], executorInfo('diff-exec'), { mode: 'finish' });
    r = await s.call({ type: 'ACCEPT', accept: { offer_ids: [{ value: 'no-such-offer' }], operations: [{ type: 'LAUNCH', launch: { task_infos: [stale] } }] } });
    const staleStates = await s.taskStates('diff-stale', 15000);
    t.invalidOffer = [r.status, states(staleStates), staleStates[0].message];

    // Reconciliation: unknown tasks, with and without the agent; a finished (acknowledged) one.
    r = await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'diff-unknown' }, agent_id: offer.agent_id }] } });
    const rec1 = await s.taskStates('diff-unknown', 15000, /./);
    r = await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'diff-unknown-2' } }] } });
    const rec2 = await s.taskStates('diff-unknown-2', 15000, /./);
    r = await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'diff-env' } }] } });
    const rec3 = await s.taskStates('diff-env', 15000, /./);
    t.reconcile = [r.status, [rec1[0], rec2[0], rec3[0]].map((x) => `${x.state}/${x.reason}/${x.message}/${x.uuid ? 'uuid' : '-'}`)];

    // DECLINE for an hour: no offer; SUPPRESS of a role we do not hold is dropped; REVIVE brings offers.
    r = await s.call({ type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } });
    s.events = s.events.filter((e) => e.type !== 'OFFERS');
    await new Promise((res) => setTimeout(res, 2500));
    t.declined = [r.status, s.events.filter((e) => e.type === 'OFFERS').length];
    const badRole = await s.call({ type: 'SUPPRESS', suppress: { roles: ['not-ours'] } });
    const revive = await s.call({ type: 'REVIVE', revive: { roles: ['pi'] } });
    offer = await s.offer(10000);
    t.revived = [badRole.status, revive.status, !!offer];
    const sup = await s.call({ type: 'SUPPRESS', suppress: { roles: ['pi'] } });
    await s.call({ type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } });
    s.events = s.events.filter((e) => e.type !== 'OFFERS');
    await new Promise((res) => setTimeout(res, 2500));
    t.suppressed = [sup.status, s.events.filter((e) => e.type === 'OFFERS').length];
    await s.call({ type: 'REVIVE' });
    offer = await s.offer(10000);
    t.revivedAll = !!offer;

    // User switching: a task user other than the framework's runs its executor as that user.
    const asNobody = task(offer, 'diff-nobody', [carve(offer, 'cpus', 'pi', 0.5), carve(offer, 'mem', 'pi', 64)],
      executorInfo('diff-exec-nobody', { command: { value: process.execPath, arguments: ['node', TEST_EXECUTOR], shell: false, user: 'nobody' } }),
      { mode: 'env' });
    r = await s.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [asNobody] } }], filters: { refuse_seconds: 0 } } });
    const nobodyStates = await s.taskStates('diff-nobody', 60000);
    const nobodyEnv = JSON.parse(Buffer.from(nobodyStates[nobodyStates.length - 1].data ?? '', 'base64').toString('utf8') || '{}') as Json;
    t.userSwitch = [r.status, states(nobodyStates), nobodyEnv.uid];

    // An update left unacknowledged is delivered again, same uuid, to the framework that comes back
    // on a new stream (the agent retries it until acknowledged).
    offer = await s.offer();
    const held = task(offer, 'diff-held', [carve(offer, 'cpus', 'pi', 0.5), carve(offer, 'mem', 'pi', 64)], executorInfo('diff-exec'), { mode: 'run' });
    r = await s.call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [held] } }], filters: { refuse_seconds: 0 } } });
    const first = (await s.next((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 'diff-held', 30000, 'the first update of diff-held')).update.status;
    s.close();
    const back = new RawScheduler(m);
    await back.subscribe(FW_INFO('pi-mesos differential'), s.frameworkId);
    const again = (await back.next((e) => e.type === 'UPDATE' && e.update.status.task_id.value === 'diff-held', 60000, 'diff-held again')).update.status;
    t.redelivered = [r.status, back.frameworkId === s.frameworkId, first.state, again.state, again.uuid === first.uuid];
    await back.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: again.agent_id, task_id: again.task_id, uuid: again.uuid } });
    const kill = await back.call({ type: 'KILL', kill: { task_id: { value: 'diff-held' }, agent_id: again.agent_id } });
    const killed = await back.taskStates('diff-held', 30000);
    t.killHeld = [kill.status, states(killed)];

    // Teardown: 202, then the framework is unknown.
    const down = await back.call({ type: 'TEARDOWN' });
    const after = await back.call({ type: 'REVIVE' });
    back.close();
    t.teardown = [down.status, after.status, after.body];
  } finally {
    s.close();
  }
  return t;
}

describe(`differential: the test double answers as a real Mesos 1.12 does (${unavailable ? `skipped: ${unavailable}` : 'real cluster from ../shared/real-mesos'})`, function () {
  this.timeout(300000);
  let real: RealCluster | undefined;
  let double: TestMesosCluster | undefined;
  const transcripts: { real?: Transcript; double?: Transcript } = {};

  before(async function () {
    if (unavailable) this.skip();
  });

  after(async () => {
    await real?.stop();
    await double?.stop();
  });

  it('runs the script against the real cluster', async () => {
    real = await startRealCluster({ agents: 1, resources: { 1: AGENT_RESOURCES }, env: { 1: AGENT_ENV } });
    try {
      transcripts.real = await script({ master: real.master, stop: async () => undefined });
    } finally {
      await real.stop();
      real = undefined;
    }
  });

  it('runs the script against the double', async () => {
    double = new TestMesosCluster({ heartbeatIntervalSeconds: 15, allocationIntervalMs: 1000 });
    await double.start();
    await double.addAgent({ hostname: '127.0.0.1', resources: AGENT_RESOURCES, env: AGENT_ENV });
    transcripts.double = await script({ master: double.masterSpec, stop: async () => undefined });
  });

  it('the transcripts agree', () => {
    if (!transcripts.real || !transcripts.double) throw new Error('a run failed');
    if (process.env.PI_MESOS_DIFF_DUMP) console.log(JSON.stringify(transcripts, null, 1));
    for (const key of Object.keys(transcripts.real)) {
      expect(transcripts.double[key], key).to.deep.equal(transcripts.real[key]);
    }
    expect(Object.keys(transcripts.double)).to.deep.equal(Object.keys(transcripts.real));
  });
});
