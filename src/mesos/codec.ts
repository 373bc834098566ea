// Encodes and decodes Mesos v1 messages as protobuf or JSON, from the trimmed .proto files in the
// package's proto/ directory (loaded at run time, so no generated code can drift from them).
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import type {
  ExecutorCall, ExecutorEvent, OperatorCall, OperatorResponse, SchedulerCall, SchedulerEvent,
} from './types';

export type Encoding = 'protobuf' | 'json';

export const MEDIA_TYPES: Readonly<Record<Encoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The encoding named by a Content-Type, compared exactly as Mesos does (no parameters). */
export function encodingOfMediaType(mediaType: string | undefined): Encoding | undefined {
  if (mediaType === MEDIA_TYPES.protobuf) return 'protobuf';
  if (mediaType === MEDIA_TYPES.json) return 'json';
  return undefined;
}

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

const PROTO_FILES = [
  'mesos/v1/mesos.proto',
  'mesos/v1/scheduler/scheduler.proto',
  'mesos/v1/executor/executor.proto',
  'mesos/v1/master/master.proto',
];

/**
 * The proto/ directory of this package. Compiled, this file is dist/src/mesos/codec.js; run from
 * source (ts-node) it is src/mesos/codec.ts: try both depths so both work, in the repo and installed.
 */
export function protoDirectory(): string {
  const candidates = [path.resolve(__dirname, '../../../proto'), path.resolve(__dirname, '../../proto')];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, PROTO_FILES[0]))) return dir;
  }
  throw new CodecError(`Mesos .proto files not found (looked in ${candidates.join(', ')})`);
}

let root: protobuf.Root | undefined;

/** The protobufjs root holding every Mesos type, loaded once. Field names keep the proto casing. */
export function mesosProtoRoot(): protobuf.Root {
  if (!root) {
    const dir = protoDirectory();
    const r = new protobuf.Root();
    // Imports are written as upstream spells them ("mesos/v1/mesos.proto"), relative to proto/.
    r.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
    r.loadSync(PROTO_FILES, { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

const OBJECT_OPTIONS: protobuf.IConversionOptions = { enums: String, longs: Number };
const JSON_OPTIONS: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: String, json: true };

/** Converts one message type between plain objects (see types.ts) and bytes. */
export class MessageCodec<T extends object> {
  private cachedType: protobuf.Type | undefined;

  constructor(readonly typeName: string) {}

  get type(): protobuf.Type {
    if (!this.cachedType) this.cachedType = mesosProtoRoot().lookupType(this.typeName);
    return this.cachedType;
  }

  /** Encodes; a message missing a required field is refused here rather than by the master. */
  encode(value: T, encoding: Encoding = 'protobuf'): Buffer {
    let message: protobuf.Message;
    try {
      message = this.type.fromObject(value as Record<string, unknown>);
    } catch (err) {
      throw new CodecError(`cannot encode ${this.typeName}: ${(err as Error).message}`);
    }
    const problem = this.type.verify(message);
    if (problem) throw new CodecError(`cannot encode ${this.typeName}: ${problem}`);
    if (encoding === 'json') {
      return Buffer.from(JSON.stringify(this.type.toObject(message, JSON_OPTIONS)), 'utf8');
    }
    return Buffer.from(this.type.encode(message).finish());
  }

  decode(bytes: Uint8Array, encoding: Encoding = 'protobuf'): T {
    try {
      let message: protobuf.Message;
      if (encoding === 'json') {
        const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new Error('not a JSON object');
        }
        message = this.type.fromObject(parsed as Record<string, unknown>);
        const problem = this.type.verify(message);
        if (problem) throw new Error(problem);
      } else {
        message = this.type.decode(bytes);
      }
      return this.type.toObject(message, OBJECT_OPTIONS) as T;
    } catch (err) {
      throw new CodecError(`cannot decode ${this.typeName} (${encoding}, ${bytes.length} bytes): ${(err as Error).message}`);
    }
  }

  /** Normalises a plain object the way a round trip through the wire would (enum names, Buffers). */
  normalize(value: T): T {
    return this.type.toObject(this.type.fromObject(value as Record<string, unknown>), OBJECT_OPTIONS) as T;
  }
}

export const schedulerCallCodec = new MessageCodec<SchedulerCall>('mesos.v1.scheduler.Call');
export const schedulerEventCodec = new MessageCodec<SchedulerEvent>('mesos.v1.scheduler.Event');
export const executorCallCodec = new MessageCodec<ExecutorCall>('mesos.v1.executor.Call');
export const executorEventCodec = new MessageCodec<ExecutorEvent>('mesos.v1.executor.Event');
export const operatorCallCodec = new MessageCodec<OperatorCall>('mesos.v1.master.Call');
export const operatorResponseCodec = new MessageCodec<OperatorResponse>('mesos.v1.master.Response');

/** A codec for any other declared type, e.g. 'mesos.v1.MasterInfo'. */
export function codecFor<T extends object>(typeName: string): MessageCodec<T> {
  return new MessageCodec<T>(typeName);
}
