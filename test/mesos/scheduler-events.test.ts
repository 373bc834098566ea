// The scheduler client against a scripted master endpoint: events and answers the test master
// never produces (inverse offers, operation status, events before SUBSCRIBED, a SUBSCRIBED without
// a body, a call answered 200 with a body or not at all), and the calls that carry them back.
import { expect } from 'chai';
import * as http from 'http';
import { MemoryLogger } from '../../src/common/logger';
import { schedulerEventCodec } from '../../src/mesos/codec';
import { MasterDetector } from '../../src/mesos/detector';
import { encodeRecord } from '../../src/mesos/recordio';
import { MesosCallError, MesosFrameworkError, SchedulerClient } from '../../src/mesos/scheduler';
import type { SchedulerEvent, TaskStatus } from '../../src/mesos/types';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { scriptedEndpoint, ScriptedEndpoint } from '../support/scripted-http';
import { fastClient, StubDetector } from './helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A master that streams what the test sends, and answers other calls with `answer` (default 202). */
class ScriptedMaster {
  readonly calls: Json[] = [];
  answer: (call: Json, res: http.ServerResponse) => void = (_c, res) => { res.writeHead(202); res.end(); };
  private stream?: http.ServerResponse;
  private endpoint?: ScriptedEndpoint;

  get url(): string { return this.endpoint?.url ?? ''; }
  get hostPort(): string { return this.endpoint?.hostPort ?? ''; }

  async start(): Promise<void> {
    this.endpoint = await scriptedEndpoint((res, { body }) => {
      const call = JSON.parse(body.toString('utf8')) as Json;
      this.calls.push(call);
      if (call.type === 'SUBSCRIBE') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Mesos-Stream-Id': 'stream-1' });
        this.stream = res;
        return;
      }
      this.answer(call, res);
    });
  }

  send(...events: SchedulerEvent[]): void {
    for (const e of events) this.stream?.write(encodeRecord(schedulerEventCodec.encode(e, 'json')));
  }

  writeRaw(bytes: Buffer): void {
    this.stream?.write(bytes);
  }

  /** Ends the event stream, as a master does on TEARDOWN or when it goes away. */
  endStream(): void {
    this.stream?.end();
  }

  async stop(): Promise<void> {
    await this.endpoint?.close();
  }
}

const SUBSCRIBED: SchedulerEvent = { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw-1' }, heartbeat_interval_seconds: 15 } };
const status = (uuid?: Buffer): TaskStatus => ({ task_id: { value: 't1' }, state: 'TASK_RUNNING', agent_id: { value: 'a1' }, uuid });

describe('SchedulerClient against a scripted master', function () {
  this.timeout(10000);
  let master: ScriptedMaster;
  let client: SchedulerClient | undefined;
  let log: MemoryLogger;

  beforeEach(async () => {
    master = new ScriptedMaster();
    await master.start();
    log = new MemoryLogger();
  });
  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await master.stop();
  });

  function newClient(where: string | MasterDetector = master.hostPort, options: Parameters<typeof fastClient>[1] = {}): SchedulerClient {
    client = fastClient(where, { logger: log, encoding: 'json', ...options });
    return client;
  }

  /** A client subscribed to the scripted master (through `where`, the master itself by default). */
  async function subscribed(where?: string | MasterDetector, options: Parameters<typeof fastClient>[1] = {}): Promise<SchedulerClient> {
    const c = newClient(where, options);
    const p = nextEvent(c, 'subscribed');
    c.start();
    await waitFor(() => master.calls.length === 1, 5000, 'SUBSCRIBE');
    master.send(SUBSCRIBED);
    await p;
    return c;
  }

  it('passes on inverse offers, rescinds and operation status; ignores what comes before SUBSCRIBED and what it does not know', async () => {
    const c = newClient();
    const got: string[] = [];
    c.on('inverse_offers', (o) => got.push(`inverse_offers ${o.map((x) => x.id.value).join(',')}`));
    c.on('rescind', (id) => got.push(`rescind ${id.value}`));
    c.on('rescind_inverse_offer', (id) => got.push(`rescind_inverse_offer ${id.value}`));
    c.on('update_operation_status', (s) => got.push(`update_operation_status ${s.state}`));
    c.on('update', (s, info) => got.push(`update ${s.task_id.value} ${info.duplicate ? 'duplicate' : 'new'}`));
    c.start();
    await waitFor(() => master.calls.length === 1, 5000, 'SUBSCRIBE');
    const done = nextEvent(c, 'rescind', 5000, (id: { value: string }) => id.value === 'last');
    master.send(
      { type: 'UPDATE', update: { status: status(Buffer.alloc(16, 1)) } }, // before SUBSCRIBED: ignored
      SUBSCRIBED,
      { type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: [{ id: { value: 'io-1' }, framework_id: { value: 'fw-1' }, unavailability: { start: { nanoseconds: 0 } } }] } },
      { type: 'RESCIND', rescind: { offer_id: { value: 'o-1' } } },
      { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: 'io-1' } } },
      { type: 'UPDATE_OPERATION_STATUS', update_operation_status: { status: { state: 'OPERATION_FINISHED' } } },
      { type: 'UPDATE', update: { status: status() } }, // no uuid (from reconciliation): never a duplicate
      { type: 'UPDATE', update: { status: status() } },
      { type: 'UPDATE', update: { status: status(Buffer.alloc(16, 2)) } },
      { type: 'UPDATE', update: { status: status(Buffer.alloc(16, 2)) } },
      { type: 'UNKNOWN' },
      { type: 'RESCIND', rescind: { offer_id: { value: 'last' } } },
    );
    await done;
    expect(got).to.deep.equal([
      'inverse_offers io-1', 'rescind o-1', 'rescind_inverse_offer io-1', 'update_operation_status OPERATION_FINISHED',
      'update t1 new', 'update t1 new', 'update t1 new', 'update t1 duplicate', 'rescind last',
    ]);
    expect(log.has('warn', new RegExp(`^event UPDATE before SUBSCRIBED from ${master.url}; ignored$`))).to.equal(true);
    expect(log.has('debug', /^ignoring scheduler event UNKNOWN$/)).to.equal(true);
  });

  it('remembers the last duplicateWindow update uuids: an older one counts as new again', async () => {
    const c = await subscribed(undefined, { duplicateWindow: 2 });
    const seen: string[] = [];
    c.on('update', (s, info) => seen.push(`${s.uuid?.[0]}:${info.duplicate ? 'dup' : 'new'}`));
    const done = nextEvent(c, 'rescind');
    for (const n of [1, 2, 2, 3, 1]) master.send({ type: 'UPDATE', update: { status: status(Buffer.alloc(16, n)) } });
    master.send({ type: 'RESCIND', rescind: { offer_id: { value: 'end' } } });
    await done;
    expect(seen).to.deep.equal(['1:new', '2:new', '2:dup', '3:new', '1:new']);
  });

  it('a listener that throws is logged and the stream goes on; a SUBSCRIBED without its body is such an error', async () => {
    const c = await subscribed();
    c.on('rescind', (id) => { if (id.value === 'boom') throw new Error('a listener bug'); });
    const next = nextEvent(c, 'rescind', 5000, (id: { value: string }) => id.value === 'after');
    master.send({ type: 'RESCIND', rescind: { offer_id: { value: 'boom' } } }, { type: 'SUBSCRIBED' }, { type: 'RESCIND', rescind: { offer_id: { value: 'after' } } });
    await next;
    expect(log.has('error', /^a listener of the RESCIND event threw: a listener bug$/)).to.equal(true);
    expect(log.has('error', /^a listener of the SUBSCRIBED event threw: SUBSCRIBED without body$/)).to.equal(true);
    expect(c.state.status).to.equal('subscribed');
  });

  for (const [what, error, words] of [
    ['with its message', { message: 'Framework has been removed' }, 'Framework has been removed'],
    ['without one', {}, 'unspecified error'],
  ] as const) {
    it(`ERROR ${what} ends the subscription for good, in the master's words`, async () => {
      const c = await subscribed();
      const fatal = nextEvent<[Error]>(c, 'fatal');
      const said = nextEvent<[string]>(c, 'mesos_error');
      master.send({ type: 'ERROR', error } as SchedulerEvent);
      const [[err], [message]] = await Promise.all([fatal, said]);
      expect(message).to.equal(words);
      expect(err).to.be.instanceOf(MesosFrameworkError);
      expect(err.message).to.equal(`Mesos master ${master.url} ended the subscription: ${words}`);
      expect(log.has('error', new RegExp(`^Mesos master ${master.url} sent ERROR: ${words}$`))).to.equal(true);
      expect(c.state.status).to.equal('failed');
    });
  }

  it('an undecodable record is logged with the master, and the client subscribes again', async () => {
    const c = await subscribed();
    const lost = nextEvent<[string]>(c, 'disconnected');
    master.writeRaw(encodeRecord(Buffer.from('{"type": ')));
    await lost;
    expect(log.has('error', new RegExp(`^undecodable event from ${master.url}; resubscribing: `))).to.equal(true);
    expect(log.has('warn', /^lost the Mesos subscription: /)).to.equal(true);
    await waitFor(() => master.calls.filter((x) => x.type === 'SUBSCRIBE').length === 2, 5000, 'a second SUBSCRIBE');
    expect(c.state.reconnects).to.equal(1);
  });

  it('calls: 200 with a body is success; a refusal keeps 500 characters of the body and says 400 only for a 400', async () => {
    const c = await subscribed();
    const answers: [number, string][] = [[200, '{"ok":true}'], [409, ''], [400, 'z'.repeat(600)]];
    master.answer = (_call, res) => { const [code, body] = answers.shift() as [number, string]; res.writeHead(code); res.end(body); };
    const ok = await c.revive();
    expect([ok.status, ok.body.toString()]).to.deep.equal([200, '{"ok":true}']);
    const conflict = await c.revive().then(() => undefined, (e: MesosCallError) => e);
    expect(conflict?.message).to.equal(`REVIVE refused by ${master.url}: HTTP 409`);
    expect(log.has('error', /malformed/)).to.equal(false);
    const bad = await c.revive().then(() => undefined, (e: MesosCallError) => e);
    expect(bad?.body).to.equal('z'.repeat(500));
    expect(log.has('error', /^Mesos master rejected REVIVE as malformed \(400\): z+$/)).to.equal(true);
  });

  it('a call the master does not answer fails with the call and the master; a 307 without a Location drops the stream', async () => {
    const c = await subscribed();
    master.answer = (call, res) => {
      if (call.type === 'REVIVE') res.socket?.destroy();
      else { res.writeHead(307); res.end(); }
    };
    const lost = await c.revive().then(() => undefined, (e: Error) => e);
    expect(lost?.message).to.match(new RegExp(`^REVIVE to ${master.url} failed: .+`));
    const dropped = nextEvent<[string]>(c, 'disconnected');
    const moved = await c.suppress().then(() => undefined, (e: MesosCallError) => e);
    expect(moved?.status).to.equal(307);
    const [reason] = await dropped;
    expect(reason).to.equal(`${master.url} is no longer the leader`);
  });

  it('a TEARDOWN the master refuses leaves the client as it was: a later loss of the stream is reported', async () => {
    const c = await subscribed();
    master.answer = (_call, res) => { res.writeHead(503); res.end(); };
    const refused = await c.teardown().then(() => undefined, (e: MesosCallError) => e);
    expect(refused?.status).to.equal(503);
    expect(c.state.status).to.equal('subscribed');
    const lost = nextEvent<[string]>(c, 'disconnected');
    master.endStream();
    const [reason] = await lost;
    expect(reason).to.equal('the master closed the event stream');
  });

  it('inverse-offer and operation-status calls carry their IDs; an update without an agent cannot be acknowledged', async () => {
    const c = await subscribed();
    await c.acceptInverseOffers(['io-1'], { refuse_seconds: 5 });
    await c.declineInverseOffers(['io-2']);
    await c.acknowledgeOperationStatus('op-1', Buffer.alloc(16, 3), 'a1');
    const calls = master.calls.slice(1);
    expect(calls.map((x) => x.type)).to.deep.equal(['ACCEPT_INVERSE_OFFERS', 'DECLINE_INVERSE_OFFERS', 'ACKNOWLEDGE_OPERATION_STATUS']);
    expect(calls[0].accept_inverse_offers).to.deep.equal({ inverse_offer_ids: [{ value: 'io-1' }], filters: { refuse_seconds: 5 } });
    expect(calls[1].decline_inverse_offers).to.deep.equal({ inverse_offer_ids: [{ value: 'io-2' }] });
    expect(calls[2].acknowledge_operation_status).to.deep.include({ operation_id: { value: 'op-1' }, agent_id: { value: 'a1' } });
    expect(calls.every((x) => x.framework_id?.value === 'fw-1')).to.equal(true);
    const err = await c.acknowledge({ task_id: { value: 't9' }, state: 'TASK_RUNNING', uuid: Buffer.alloc(16, 4) }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.equal('cannot acknowledge task t9: update has no agent_id');
    expect(await c.acknowledge({ task_id: { value: 't9' }, state: 'TASK_LOST' })).to.equal(null);
  });

  it('no leader known after a lost subscription is a warning from the first attempt (only the very first start says it at info)', async () => {
    const detector = new StubDetector();
    detector.leader = master.url;
    const c = await subscribed(detector);
    detector.leader = undefined;
    const retry = nextEvent<[number, string]>(c, 'reconnecting', 5000, (_ms: number, r: string) => /no leading master known yet/.test(r));
    master.endStream();
    await retry;
    const said = log.lines.filter((l) => /^cannot subscribe to Mesos \(no leading master known yet/.test(l.msg));
    expect(said[0]?.level).to.equal('warn');
  });

  it('start() while connecting or subscribed opens no second subscription; after stop() it subscribes afresh', async () => {
    const c = await subscribed();
    c.start();
    expect(master.calls.filter((x) => x.type === 'SUBSCRIBE')).to.have.length(1);
    await c.stop();
    const again = nextEvent(c, 'subscribed');
    c.start();
    await waitFor(() => master.calls.filter((x) => x.type === 'SUBSCRIBE').length === 2, 5000, 'a second SUBSCRIBE');
    master.send(SUBSCRIBED);
    await again;
    expect(log.has('notice', /as framework fw-1 \(resubscribed\)$/)).to.equal(true);
  });
});
