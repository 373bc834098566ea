// Event-stream decoding cost: RecordIO framing plus codec, per scheduler UPDATE event, as ratios
// against plain protobufjs decoding of the same events (the floor) in this process.
import { performance } from 'perf_hooks';
import { schedulerEventCodec } from '../../src/mesos/codec';
import { encodeRecord, RecordIODecoder } from '../../src/mesos/recordio';
import type { SchedulerEvent } from '../../src/mesos/types';

function events(n: number): SchedulerEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'UPDATE' as const,
    update: {
      status: {
        task_id: { value: `pi-range-${i}` }, state: 'TASK_FINISHED' as const, source: 'SOURCE_EXECUTOR' as const,
        agent_id: { value: 'agent-0001' }, executor_id: { value: 'pi-mesos-executor' }, timestamp: 1700000000 + i,
        uuid: Buffer.alloc(16, i & 0xff), data: Buffer.alloc(96, 7),
      },
    },
  }));
}

function best(fn: () => void, runs = 7): number {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

export async function run(log: (line: string) => void): Promise<void> {
  const n = 20_000;
  const evs = events(n);
  const pbRecords = evs.map((e) => schedulerEventCodec.encode(e, 'protobuf'));
  const jsonRecords = evs.map((e) => schedulerEventCodec.encode(e, 'json'));
  const pbStream = Buffer.concat(pbRecords.map(encodeRecord));
  const jsonStream = Buffer.concat(jsonRecords.map(encodeRecord));
  const type = schedulerEventCodec.type;
  const chunk = 16 * 1024; // a typical socket read

  const baseline = best(() => { for (const r of pbRecords) type.decode(r); });
  const decodeStream = (stream: Buffer, encoding: 'protobuf' | 'json') => () => {
    const d = new RecordIODecoder();
    for (let i = 0; i < stream.length; i += chunk) {
      for (const rec of d.push(stream.subarray(i, i + chunk))) schedulerEventCodec.decode(rec, encoding);
    }
  };
  const framingOnly = best(() => {
    const d = new RecordIODecoder();
    for (let i = 0; i < pbStream.length; i += chunk) d.push(pbStream.subarray(i, i + chunk));
  });
  const pb = best(decodeStream(pbStream, 'protobuf'));
  const json = best(decodeStream(jsonStream, 'json'));
  const us = (ms: number): string => `${((ms * 1000) / n).toFixed(2)} µs/event`;
  log(`mesos: baseline protobufjs decode of ${n} UPDATE events: ${us(baseline)} (1.00x)`);
  log(`mesos: RecordIO framing only (16 KiB chunks): ${us(framingOnly)} (${(framingOnly / baseline).toFixed(2)}x)`);
  log(`mesos: RecordIO + protobuf codec to plain objects: ${us(pb)} (${(pb / baseline).toFixed(2)}x)`);
  log(`mesos: RecordIO + JSON codec to plain objects: ${us(json)} (${(json / baseline).toFixed(2)}x)`);
}

if (require.main === module) void run((l) => console.log(l));
