// RecordIO, the framing of Mesos event streams: "<decimal length>\n<length bytes>", repeated.
// Chunk boundaries from the network fall anywhere, so the decoder keeps state between pushes.

export class RecordIOError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordIOError';
  }
}

/** Default largest record accepted: far above any real event, small enough to stop a runaway. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

// A uint64 has at most 20 decimal digits; anything longer is not a length.
const MAX_HEADER_DIGITS = 20;
const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

export function encodeRecord(payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${payload.length}\n`, 'ascii'), payload]);
}

export class RecordIODecoder {
  private readonly maxRecordBytes: number;
  private headerDigits = 0;
  private headerValue = 0;
  private bodyLength = -1; // -1 while reading a header
  private bodyParts: Buffer[] = [];
  private bodyReceived = 0;
  private failure: RecordIOError | undefined;

  constructor(options: { maxRecordBytes?: number } = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /** True when no partial record is buffered (a clean place for the stream to end). */
  get atRecordBoundary(): boolean {
    return this.bodyLength < 0 && this.headerDigits === 0;
  }

  /**
   * Feeds bytes in; returns the records completed by them. Throws RecordIOError on anything
   * that is not RecordIO; after that the decoder stays failed, as the stream position is lost.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failure) throw this.failure;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const records: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      if (this.bodyLength < 0) {
        const byte = buf[i];
        if (byte === NEWLINE) {
          if (this.headerDigits === 0) this.fail('empty record length');
          this.bodyLength = this.headerValue;
          this.headerDigits = 0;
          this.headerValue = 0;
          i++;
          if (this.bodyLength === 0) {
            records.push(Buffer.alloc(0));
            this.bodyLength = -1;
          }
          continue;
        }
        if (byte < DIGIT_0 || byte > DIGIT_9) {
          this.fail(`unexpected byte 0x${byte.toString(16).padStart(2, '0')} in record length`);
        }
        this.headerDigits++;
        this.headerValue = this.headerValue * 10 + (byte - DIGIT_0);
        if (this.headerDigits > MAX_HEADER_DIGITS || this.headerValue > this.maxRecordBytes) {
          this.fail(`record length exceeds the maximum of ${this.maxRecordBytes} bytes`);
        }
        i++;
        continue;
      }
      const want = this.bodyLength - this.bodyReceived;
      const take = Math.min(want, buf.length - i);
      this.bodyParts.push(buf.subarray(i, i + take));
      this.bodyReceived += take;
      i += take;
      if (this.bodyReceived === this.bodyLength) {
        records.push(this.bodyParts.length === 1 ? Buffer.from(this.bodyParts[0]) : Buffer.concat(this.bodyParts));
        this.bodyParts = [];
        this.bodyReceived = 0;
        this.bodyLength = -1;
      }
    }
    return records;
  }

  /** Call at end of stream: a partial record left over means the stream was cut mid-record. */
  end(): void {
    if (this.failure) throw this.failure;
    if (!this.atRecordBoundary) {
      const detail = this.bodyLength >= 0
        ? `${this.bodyReceived} of ${this.bodyLength} bytes of a record`
        : 'part of a record length';
      this.fail(`stream ended inside a record (${detail})`);
    }
  }

  private fail(reason: string): never {
    this.failure = new RecordIOError(`malformed RecordIO stream: ${reason}`);
    throw this.failure;
  }
}
