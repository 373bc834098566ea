import { expect } from 'chai';
import * as path from 'path';
import {
  CodecError, encodingOfMediaType, executorCallCodec, protoDirectory, schedulerCallCodec,
  schedulerEventCodec, operatorResponseCodec,
} from '../../src/mesos/codec';
import type { SchedulerCall, SchedulerEvent } from '../../src/mesos/types';

describe('mesos codec', () => {
  it('finds the proto directory relative to the compiled file', () => {
    expect(protoDirectory()).to.equal(path.resolve(__dirname, '../../../proto'));
  });

  const accept: SchedulerCall = {
    type: 'ACCEPT',
    framework_id: { value: 'fw-1' },
    accept: {
      offer_ids: [{ value: 'o1' }],
      operations: [{
        type: 'LAUNCH',
        launch: {
          task_infos: [{
            name: 'pi range 0',
            task_id: { value: 't0' },
            agent_id: { value: 'a0' },
            resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }],
            executor: {
              type: 'CUSTOM',
              executor_id: { value: 'e0' },
              command: { value: '/usr/bin/node', arguments: ['x.js'], shell: false },
            },
            data: Buffer.from([0, 1, 2, 255]),
          }],
        },
      }],
      filters: { refuse_seconds: 3 },
    },
  };

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`round-trips a call with bytes, enums and nested messages (${encoding})`, () => {
      const bytes = schedulerCallCodec.encode(accept, encoding);
      const back = schedulerCallCodec.decode(bytes, encoding);
      expect(back).to.deep.equal(accept);
    });
  }

  it('writes JSON with proto field names, enum names and base64 bytes', () => {
    const json = JSON.parse(schedulerCallCodec.encode(accept, 'json').toString('utf8'));
    expect(json.framework_id).to.deep.equal({ value: 'fw-1' });
    expect(json.type).to.equal('ACCEPT');
    const task = json.accept.operations[0].launch.task_infos[0];
    expect(task.task_id.value).to.equal('t0');
    expect(task.data).to.equal(Buffer.from([0, 1, 2, 255]).toString('base64'));
    expect(task.executor.command.shell).to.equal(false);
  });

  it('uses the Mesos field numbers on the wire', () => {
    // Call.framework_id is field 1 (tag 0x0a), Call.type field 2 (tag 0x10), ACCEPT = 3.
    const bytes = schedulerCallCodec.encode({ framework_id: { value: 'f' }, type: 'ACCEPT' });
    expect([...bytes]).to.deep.equal([0x0a, 0x03, 0x0a, 0x01, 0x66, 0x10, 0x03]);
  });

  it('decodes a SUBSCRIBED event as a master would send it in JSON', () => {
    const raw = Buffer.from(JSON.stringify({
      type: 'SUBSCRIBED',
      subscribed: { framework_id: { value: 'abc-0001' }, heartbeat_interval_seconds: 15, unknown_key: 1 },
    }));
    const event: SchedulerEvent = schedulerEventCodec.decode(raw, 'json');
    expect(event.type).to.equal('SUBSCRIBED');
    expect(event.subscribed?.framework_id.value).to.equal('abc-0001');
    expect(event.subscribed?.heartbeat_interval_seconds).to.equal(15);
  });

  it('skips fields the trimmed protos do not declare', () => {
    const status = { task_id: { value: 't' }, state: 'TASK_RUNNING' as const };
    const event = schedulerEventCodec.encode({ type: 'UPDATE', update: { status } });
    // Append field 99 (length-delimited, 2 bytes), as a newer master might send.
    const withUnknown = Buffer.concat([event, Buffer.from([0x9a, 0x06, 0x02, 0x08, 0x01])]);
    const plain = schedulerEventCodec.decode(withUnknown);
    expect(plain).to.deep.equal({ type: 'UPDATE', update: { status } });
  });

  it('refuses to encode a message missing a required field, naming it', () => {
    expect(() => executorCallCodec.encode({ executor_id: { value: 'e' } } as never))
      .to.throw(CodecError, /framework_id/);
  });

  it('turns undecodable bytes into a CodecError', () => {
    expect(() => schedulerEventCodec.decode(Buffer.from([0xff, 0xff, 0xff]))).to.throw(CodecError);
    expect(() => schedulerEventCodec.decode(Buffer.from('{not json'), 'json')).to.throw(CodecError);
    expect(() => schedulerEventCodec.decode(Buffer.from('[1]'), 'json')).to.throw(CodecError, /JSON object/);
  });

  it('decodes operator GET_AGENTS responses', () => {
    const bytes = operatorResponseCodec.encode({
      type: 'GET_AGENTS',
      get_agents: { agents: [{ agent_info: { hostname: 'pi1' }, active: true, version: '1.12.0' }] },
    });
    expect(operatorResponseCodec.decode(bytes).get_agents?.agents?.[0].agent_info.hostname).to.equal('pi1');
  });

  it('matches media types exactly, as Mesos does', () => {
    expect(encodingOfMediaType('application/json')).to.equal('json');
    expect(encodingOfMediaType('application/x-protobuf')).to.equal('protobuf');
    expect(encodingOfMediaType('application/json; charset=utf-8')).to.equal(undefined);
  });
});
