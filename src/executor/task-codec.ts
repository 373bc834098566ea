import * as path from 'path';
import * as protobuf from 'protobufjs';
import { checkRange, rangeKey, TermRange } from '../pi/range';
import { kernelErrorUnits, RangeSum } from '../pi/range-sum';
import { MAX_DIGITS, MIN_DIGITS, scaleFor } from '../pi/precision';

// Encoding of the range task payload and its result, shared by the framework and the executor.
// Decoding validates everything a peer could get wrong and says what was wrong, because a bad
// payload must become a TASK_FAILED with a useful message, and a bad result must never be merged.

export interface RangeTask extends TermRange {
  rangeId: string;
  digits: number;
  /**
   * Ranges to compute after this one, in order (none: a task of one range). Every range's result
   * but the last is reported in a TASK_RUNNING update's data.
   */
  more?: TermRange[];
}

/** Every range of a task, in the order they are computed. */
export function taskRanges(t: RangeTask): TermRange[] {
  return [{ start: t.start, count: t.count }, ...(t.more ?? [])];
}

/** The one-range task for `r` (what a worker thread computes, and what a result answers). */
export function rangeTask(r: TermRange, digits: number): RangeTask {
  return { rangeId: rangeKey(r), start: r.start, count: r.count, digits };
}

export interface RangeResult extends RangeSum {
  rangeId: string;
  computeSeconds: number;
}

export class PayloadError extends Error {}

/** proto/ sits at the package root; this file runs from dist/src/executor. */
const PROTO_FILE = path.resolve(__dirname, '../../../proto/pi_task.proto');
let root: protobuf.Root | undefined;
function types(): { task: protobuf.Type; result: protobuf.Type } {
  // keepCase: the proto's own field names, as every other reader of these messages will use.
  root ??= new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });
  return { task: root.lookupType('pimesos.RangeTask'), result: root.lookupType('pimesos.RangeResult') };
}

function toNumber(v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : Number(v as { toString(): string });
  if (!Number.isSafeInteger(n)) throw new PayloadError(`${field} ${String(v)} is not a safe integer`);
  return n;
}

export function bigintToBytes(x: bigint): Uint8Array {
  let hex = (x < 0n ? -x : x).toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const mag = Buffer.from(hex, 'hex');
  // Sign in a leading byte keeps the format trivial to read in any language.
  return Buffer.concat([Buffer.from([x < 0n ? 1 : 0]), mag]);
}

export function bytesToBigint(b: Uint8Array, field: string): bigint {
  if (b.length < 2 || (b[0] !== 0 && b[0] !== 1)) throw new PayloadError(`${field} is not a signed integer encoding`);
  const mag = BigInt('0x' + Buffer.from(b.subarray(1)).toString('hex'));
  return b[0] === 1 ? -mag : mag;
}

export function encodeTask(t: RangeTask): Buffer {
  const { task } = types();
  const more = (t.more ?? []).map((r) => ({ start: r.start, count: r.count }));
  return Buffer.from(task.encode(task.fromObject({ range_id: t.rangeId, start: t.start, count: t.count, digits: t.digits, more })).finish());
}

export function decodeTask(data: Uint8Array | undefined): RangeTask {
  if (!data || data.length === 0) throw new PayloadError('task has no payload (TaskInfo.data is empty)');
  let m: Record<string, unknown>;
  try {
    m = types().task.toObject(types().task.decode(data), { longs: Number }) as Record<string, unknown>;
  } catch (e) {
    throw new PayloadError(`task payload is not a pimesos.RangeTask: ${(e as Error).message}`);
  }
  const t: RangeTask = {
    rangeId: String(m.range_id),
    start: toNumber(m.start, 'start'),
    count: toNumber(m.count, 'count'),
    digits: toNumber(m.digits, 'digits'),
  };
  const more = (m.more as Record<string, unknown>[] | undefined) ?? [];
  if (more.length > 0) t.more = more.map((r, i) => ({ start: toNumber(r.start, `more[${i}].start`), count: toNumber(r.count, `more[${i}].count`) }));
  try {
    for (const r of taskRanges(t)) checkRange(r);
  } catch (e) {
    throw new PayloadError((e as Error).message);
  }
  const sorted = taskRanges(t).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].start + sorted[i - 1].count) throw new PayloadError(`task ranges ${rangeKey(sorted[i - 1])} and ${rangeKey(sorted[i])} overlap`);
  }
  if (t.digits < MIN_DIGITS || t.digits > MAX_DIGITS) throw new PayloadError(`digits ${t.digits} is outside ${MIN_DIGITS}..${MAX_DIGITS}`);
  if (t.rangeId !== rangeKey(t)) throw new PayloadError(`range_id "${t.rangeId}" does not match range ${rangeKey(t)}`);
  return t;
}

export function encodeResult(r: RangeResult): Buffer {
  const { result } = types();
  return Buffer.from(
    result
      .encode(
        result.fromObject({
          range_id: r.rangeId,
          start: r.start,
          count: r.count,
          bits: r.bits,
          kernel: r.kernel,
          value: bigintToBytes(r.value),
          err_units: bigintToBytes(r.errUnits),
          compute_seconds: r.computeSeconds,
        }),
      )
      .finish(),
  );
}

/** Decodes a result and checks it answers `expected` at the expected scale. */
export function decodeResult(data: Uint8Array | undefined, expected?: { task: RangeTask }): RangeResult {
  if (!data || data.length === 0) throw new PayloadError('finished task carries no result data');
  let m: Record<string, unknown>;
  try {
    m = types().result.toObject(types().result.decode(data), { longs: Number, bytes: Buffer }) as Record<string, unknown>;
  } catch (e) {
    throw new PayloadError(`result is not a pimesos.RangeResult: ${(e as Error).message}`);
  }
  const r: RangeResult = {
    rangeId: String(m.range_id),
    start: toNumber(m.start, 'start'),
    count: toNumber(m.count, 'count'),
    bits: toNumber(m.bits, 'bits'),
    kernel: String(m.kernel) as RangeResult['kernel'],
    value: bytesToBigint(m.value as Buffer, 'value'),
    errUnits: bytesToBigint(m.err_units as Buffer, 'err_units'),
    computeSeconds: typeof m.compute_seconds === 'number' ? m.compute_seconds : 0,
  };
  if (expected) {
    const t = expected.task;
    if (r.rangeId !== t.rangeId || r.start !== t.start || r.count !== t.count) {
      throw new PayloadError(`result for ${r.rangeId} does not answer task range ${t.rangeId}`);
    }
    const scale = scaleFor(t.digits);
    if (r.bits !== scale.bits || r.kernel !== scale.kernel) {
      throw new PayloadError(`result at ${r.bits} bits/${r.kernel}, expected ${scale.bits} bits/${scale.kernel}`);
    }
    // The bound is a function of the range and kernel alone; a different one is a broken peer.
    if (r.errUnits !== kernelErrorUnits(scale.kernel, t)) {
      throw new PayloadError(`result error bound ${r.errUnits} is not the kernel's bound for [${t.start}, ${t.start + t.count})`);
    }
    if (r.value < 0n) throw new PayloadError('result value is negative');
  }
  return r;
}
