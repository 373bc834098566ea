// Wire facts taken from outside this code base, so that the product and the test master (which
// decodes with the product's own codec) cannot agree on a shared mistake: protobuf bytes
// assembled by hand from the field numbers of Mesos's include/mesos/v1/scheduler/scheduler.proto
// and include/mesos/v1/mesos.proto, the RecordIO framing of docs/recordio.md, the calls and events
// of docs/scheduler-http-api.md, and the Basic authorization example of RFC 7617 section 2.
// The last test puts them on a real socket against a bare HTTP server that knows nothing of Mesos.
import { expect } from 'chai';
import * as http from 'http';
import { AddressInfo } from 'net';
import { basicAuthorization } from '../../src/mesos/credentials';
import { schedulerCallCodec, schedulerEventCodec } from '../../src/mesos/codec';
import { encodeRecord, RecordIODecoder } from '../../src/mesos/recordio';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { SchedulerCall, TaskStatus } from '../../src/mesos/types';
import { waitFor } from '../support/wait';

/** Hex with spaces and comments allowed: "0a 03 # field 1" → bytes. */
function hex(text: string): Buffer {
  return Buffer.from(text.split('\n').map((l) => l.replace(/#.*/, '')).join('').replace(/\s+/g, ''), 'hex');
}
const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex');

const FW_ID = '12220-3440-12532-2345'; // 21 bytes, docs/scheduler-http-api.md
const UUID = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

// Call{framework_id=1, type=2 DECLINE(4), decline=5{offer_ids=1 ×2, filters=2{refuse_seconds=1 double 5.0}}}:
// the DECLINE example of docs/scheduler-http-api.md.
const DECLINE = hex(`
  0a 17  0a 15 ${ascii(FW_ID)}              # framework_id { value }
  10 04                                     # type: DECLINE = 4
  2a 3b                                     # decline (59 bytes)
    0a 16  0a 14 ${ascii('12220-3440-12532-O12')}  # offer_ids[0] { value }
    0a 16  0a 14 ${ascii('12220-3440-12532-O13')}  # offer_ids[1] { value }
    12 09  09 00 00 00 00 00 00 14 40       # filters { refuse_seconds: 5.0 (IEEE 754 LE) }
`);

// Call{framework_id=1, type=2 ACKNOWLEDGE(8), acknowledge=8{agent_id=1, task_id=2, uuid=3}}.
const ACKNOWLEDGE = hex(`
  0a 17  0a 15 ${ascii(FW_ID)}              # framework_id { value }
  10 08                                     # type: ACKNOWLEDGE = 8
  42 27                                     # acknowledge = field 8 (39 bytes)
    0a 09  0a 07 ${ascii('agent-1')}        # agent_id { value }
    12 08  0a 06 ${ascii('task-1')}         # task_id { value }
    1a 10  ${UUID.toString('hex')}          # uuid (16 bytes)
`);

// Call{type=2 SUBSCRIBE(1), subscribe=3{framework_info=1{user=1, name=2, capabilities=10{type=1 MULTI_ROLE(6)},
// roles=12 ×2}, suppressed_roles=2}}: the SUBSCRIBE example of docs/scheduler-http-api.md (without the
// offer_constraints this project's trimmed protos leave out).
const SUBSCRIBE = hex(`
  10 01                                     # type: SUBSCRIBE = 1
  1a 38                                     # subscribe (56 bytes)
    0a 2f                                   # framework_info (47 bytes)
      0a 03 ${ascii('foo')}                 # user
      12 16 ${ascii('Example HTTP Framework')} # name (22 bytes)
      52 02  08 06                          # capabilities = field 10 { type: MULTI_ROLE = 6 }
      62 05 ${ascii('test1')}               # roles = field 12
      62 05 ${ascii('test2')}
    12 05 ${ascii('test2')}                 # suppressed_roles
`);

// Event{type=1 SUBSCRIBED(1), subscribed=2{framework_id=1, heartbeat_interval_seconds=2 double 15.0}}.
const SUBSCRIBED = hex(`
  08 01                                     # type: SUBSCRIBED = 1
  12 22                                     # subscribed (34 bytes)
    0a 17  0a 15 ${ascii(FW_ID)}            # framework_id { value }
    11 00 00 00 00 00 00 2e 40              # heartbeat_interval_seconds: 15.0
`);

// Event{type=1 UPDATE(4), update=5{status=1 TaskStatus{task_id=1, state=2 TASK_FINISHED(2), data=3,
// agent_id=5, source=9 SOURCE_AGENT(1), uuid=11}}}.
const UPDATE = hex(`
  08 04                                     # type: UPDATE = 4
  2a 31                                     # update (49 bytes)
    0a 2f                                   # status (47 bytes)
      0a 08  0a 06 ${ascii('task-1')}       # task_id { value }
      10 02                                 # state: TASK_FINISHED = 2
      1a 02  01 02                          # data
      2a 09  0a 07 ${ascii('agent-1')}      # agent_id { value }
      48 01                                 # source: SOURCE_AGENT = 1
      5a 10  ${UUID.toString('hex')}        # uuid = field 11
`);

// Event{type=1 HEARTBEAT(8)}.
const HEARTBEAT = hex('08 08');

describe('wire facts from the Mesos protos, docs and RFC 7617', () => {
  describe('protobuf bytes assembled by hand', () => {
    it('encodes DECLINE, ACKNOWLEDGE and SUBSCRIBE calls byte for byte as Mesos does (fields in number order)', () => {
      const decline: SchedulerCall = {
        framework_id: { value: FW_ID }, type: 'DECLINE',
        decline: { offer_ids: [{ value: '12220-3440-12532-O12' }, { value: '12220-3440-12532-O13' }], filters: { refuse_seconds: 5 } },
      };
      expect(schedulerCallCodec.encode(decline).toString('hex')).to.equal(DECLINE.toString('hex'));
      const ack: SchedulerCall = {
        framework_id: { value: FW_ID }, type: 'ACKNOWLEDGE',
        acknowledge: { agent_id: { value: 'agent-1' }, task_id: { value: 'task-1' }, uuid: UUID },
      };
      expect(schedulerCallCodec.encode(ack).toString('hex')).to.equal(ACKNOWLEDGE.toString('hex'));
      const subscribe: SchedulerCall = {
        type: 'SUBSCRIBE',
        subscribe: {
          framework_info: { user: 'foo', name: 'Example HTTP Framework', roles: ['test1', 'test2'], capabilities: [{ type: 'MULTI_ROLE' }] },
          suppressed_roles: ['test2'],
        },
      };
      expect(schedulerCallCodec.encode(subscribe).toString('hex')).to.equal(SUBSCRIBE.toString('hex'));
    });

    it('decodes SUBSCRIBED, UPDATE and HEARTBEAT events from the bytes a master sends', () => {
      const s = schedulerEventCodec.decode(SUBSCRIBED);
      expect(s.type).to.equal('SUBSCRIBED');
      expect(s.subscribed).to.deep.include({ framework_id: { value: FW_ID }, heartbeat_interval_seconds: 15 });
      const u = schedulerEventCodec.decode(UPDATE);
      expect(u.type).to.equal('UPDATE');
      const st = u.update!.status;
      expect(st.task_id.value).to.equal('task-1');
      expect(st.state).to.equal('TASK_FINISHED');
      expect(st.source).to.equal('SOURCE_AGENT');
      expect(st.agent_id!.value).to.equal('agent-1');
      expect(Buffer.from(st.data!).toString('hex')).to.equal('0102');
      expect(Buffer.from(st.uuid!).toString('hex')).to.equal(UUID.toString('hex'));
      expect(schedulerEventCodec.decode(HEARTBEAT).type).to.equal('HEARTBEAT');
    });
  });

  describe('RecordIO (docs/recordio.md)', () => {
    // The docs' example stream. Its first record lacks the closing brace of the event and its
    // length is printed as 128; with the brace restored the JSON is 122 bytes, and the grammar
    // (record-size LF record-data, record-size octets) is the fact taken from there.
    const subscribedJson = '{"type": "SUBSCRIBED","subscribed": {"framework_id": {"value":"12220-3440-12532-2345"},"heartbeat_interval_seconds":15.0}}';
    const stream = Buffer.from(`122\n${subscribedJson}20\n{"type":"HEARTBEAT"}`, 'utf8');

    it('frames a record as its decimal length, a newline and the bytes', () => {
      expect(encodeRecord(Buffer.from('{"type":"HEARTBEAT"}')).toString('latin1')).to.equal('20\n{"type":"HEARTBEAT"}');
      expect(encodeRecord(HEARTBEAT).toString('hex')).to.equal('320a0808'); // "2\n" then 08 08
    });

    it('decodes the docs\' example stream, whatever the chunk boundaries', () => {
      for (let cut = 1; cut < stream.length; cut++) {
        const d = new RecordIODecoder();
        const records = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
        d.end();
        expect(records.map((r) => r.toString('utf8'))).to.deep.equal([subscribedJson, '{"type":"HEARTBEAT"}']);
      }
      const d = new RecordIODecoder();
      const events = d.push(stream).map((r) => schedulerEventCodec.decode(r, 'json'));
      expect(events[0].subscribed!.framework_id.value).to.equal(FW_ID);
      expect(events[0].subscribed!.heartbeat_interval_seconds).to.equal(15);
      expect(events[1].type).to.equal('HEARTBEAT');
    });
  });

  it('writes the RFC 7617 example credentials as its Authorization header', () => {
    // RFC 7617 section 2: user-id "Aladdin", password "open sesame".
    expect(basicAuthorization({ principal: 'Aladdin', secret: 'open sesame' })).to.equal('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    // A colon in the secret stays in it (only the user-id may not hold one); UTF-8 as RFC 7617 charset="UTF-8".
    expect(basicAuthorization({ principal: 'pi', secret: 'a:b' })).to.equal('Basic cGk6YTpi');
    expect(basicAuthorization({ principal: 'pi', secret: 'π' })).to.equal('Basic cGk6z4A=');
  });

  describe('on the wire, against a bare HTTP server', () => {
    let server: http.Server;
    let client: SchedulerClient | undefined;
    const requests: { headers: http.IncomingHttpHeaders; body: Buffer; url?: string }[] = [];
    let stream: http.ServerResponse | undefined;

    before(async () => {
      server = http.createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          requests.push({ headers: req.headers, body: Buffer.concat(parts), url: req.url });
          if (requests.length === 1) {
            // The SUBSCRIBE response: RecordIO of protobuf events, with a stream id.
            res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Mesos-Stream-Id': '130ae4e3-6b13-4ef4-baa9-9f2e85c3e9af' });
            res.write(Buffer.concat([Buffer.from(`${SUBSCRIBED.length}\n`), SUBSCRIBED]));
            stream = res;
          } else {
            res.writeHead(202);
            res.end();
          }
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    after(async () => {
      await client?.stop();
      stream?.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('sends the literal header, calls and acknowledgement, and reads the literal events', async () => {
      const port = (server.address() as AddressInfo).port;
      client = new SchedulerClient({
        master: `127.0.0.1:${port}`,
        framework: { user: 'foo', name: 'Example HTTP Framework' },
        credentials: { principal: 'Aladdin', secret: 'open sesame' },
      });
      const updates: TaskStatus[] = [];
      client.on('update', (s) => updates.push(s));
      client.start();
      await waitFor(() => client!.subscribed, 5000, 'SUBSCRIBED');
      expect(client.frameworkId).to.equal(FW_ID);
      const sub = requests[0];
      expect(sub.url).to.equal('/api/v1/scheduler');
      expect(sub.headers.authorization).to.equal('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
      expect(sub.headers['content-type']).to.equal('application/x-protobuf');
      expect(sub.headers.accept).to.equal('application/x-protobuf');
      expect(sub.headers['mesos-stream-id']).to.equal(undefined);
      // A principal rides in FrameworkInfo (field 8) too: user=1, name=2, principal=8.
      expect(sub.body.toString('hex')).to.equal(hex(`
        10 01  1a 28  0a 26
          0a 03 ${ascii('foo')}  12 16 ${ascii('Example HTTP Framework')}  42 07 ${ascii('Aladdin')}
      `).toString('hex'));

      await client.decline([{ value: '12220-3440-12532-O12' }, { value: '12220-3440-12532-O13' }], { refuse_seconds: 5 });
      const decline = requests[1];
      expect(decline.body.toString('hex')).to.equal(DECLINE.toString('hex'));
      expect(decline.headers['mesos-stream-id']).to.equal('130ae4e3-6b13-4ef4-baa9-9f2e85c3e9af');
      expect(decline.headers.authorization).to.equal('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');

      // The UPDATE event in two chunks cut inside the length, as a proxy may deliver it.
      const record = Buffer.concat([Buffer.from(`${UPDATE.length}\n`), UPDATE]);
      stream!.write(record.subarray(0, 1));
      stream!.write(record.subarray(1));
      await waitFor(() => updates.length === 1, 5000, 'UPDATE');
      expect(updates[0].state).to.equal('TASK_FINISHED');
      await client.acknowledge(updates[0]);
      expect(requests[2].body.toString('hex')).to.equal(ACKNOWLEDGE.toString('hex'));
    });
  });
});
