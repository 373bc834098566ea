// An emulated /dev/i2c-N: devices attach at addresses and receive each write transaction as the
// exact bytes a real bus would carry. It offers the promise API the drivers use and the sync API
// oled-i2c-bus uses, records every transaction, and can fail the way Linux does.

export interface I2cDevice {
  /**
   * One write transaction (START, address, bytes, STOP). `cut`: the transfer broke off after these
   * bytes, so a device must not read the missing rest as a protocol error of the sender.
   */
  write(bytes: Uint8Array, cut?: boolean): void;
  /** A read transaction: the bytes the device returns. */
  read?(length: number): Uint8Array;
}

export interface Transaction { address: number; bytes: Uint8Array; read?: boolean }

const MESSAGES: Record<string, [number, string]> = {
  ENOENT: [-2, 'no such file or directory'],
  EACCES: [-13, 'permission denied'],
  EREMOTEIO: [-121, 'Remote I/O error'],
  ENXIO: [-6, 'No such device or address'],
  EIO: [-5, 'I/O error'],
};

export function i2cError(code: string, syscall = 'write', path?: string): NodeJS.ErrnoException {
  const [errno, text] = MESSAGES[code] ?? [-5, 'I/O error'];
  const err = new Error(`${code}, ${text}${path ? ` '${path}'` : ''}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  if (path) err.path = path;
  return err;
}

export class FakeI2cBus {
  readonly devices = new Map<number, I2cDevice>();
  readonly log: Transaction[] = [];
  /** When set, every transfer fails with this code (a pulled cable, a dead panel). */
  fault: string | null = null;
  closed = false;
  inFlight = 0;
  maxInFlight = 0;
  /** Writes held back until release(), to observe ordering and back-pressure. */
  private held: (() => void)[] | null = null;
  /** One-shot: the next write delivers only this many bytes, then fails (see cutNext). */
  private cut: { after: number; code: string; skip: number } | null = null;

  constructor(readonly busNumber: number) {}

  attach(address: number, device: I2cDevice): this {
    this.devices.set(address, device);
    return this;
  }

  /**
   * Makes the next write transaction stop after `after` payload bytes have reached the device (a
   * NACK, a glitch, a connector that lets go mid-transfer) and fail with `code`: the device keeps
   * whatever state those bytes left it in. `skip`: let that many whole transactions through first.
   */
  cutNext(after: number, code = 'EREMOTEIO', skip = 0): void {
    this.cut = { after, code, skip };
  }

  private transfer(address: number, bytes: Uint8Array): void {
    if (this.fault) throw i2cError(this.fault);
    const dev = this.devices.get(address);
    // The Pi's controller reports a missing ACK to the address byte as EREMOTEIO.
    if (!dev) throw i2cError('EREMOTEIO');
    const cut = this.cut;
    if (cut && cut.skip > 0) cut.skip--;
    else if (cut) {
      this.cut = null;
      const part = Uint8Array.from(bytes.subarray(0, Math.min(cut.after, bytes.length)));
      this.log.push({ address, bytes: part });
      if (part.length > 0) dev.write(part, true);
      throw i2cError(cut.code);
    }
    this.log.push({ address, bytes: Uint8Array.from(bytes) });
    dev.write(bytes);
  }

  hold(): void { this.held = []; }
  release(): void {
    const h = this.held ?? [];
    this.held = null;
    for (const go of h) go();
  }

  // --- the i2c-bus promise API (PromisifiedBus) ---

  async i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    if (this.closed) throw new Error('bus closed');
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Real writes complete on the thread pool, after the caller has moved on.
      await new Promise<void>((resolve) => {
        if (this.held) this.held.push(resolve);
        else setImmediate(resolve);
      });
      this.transfer(address, buffer.subarray(0, length));
      return { bytesWritten: length, buffer };
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> { this.closed = true; }

  // --- the sync API oled-i2c-bus calls ---

  i2cWriteSync(address: number, length: number, buffer: Buffer): number {
    this.transfer(address, buffer.subarray(0, length));
    return length;
  }

  i2cReadSync(address: number, length: number, buffer: Buffer): number {
    if (this.fault) throw i2cError(this.fault, 'read');
    const dev = this.devices.get(address);
    if (!dev) throw i2cError('EREMOTEIO', 'read');
    const data = dev.read ? dev.read(length) : new Uint8Array(length);
    Buffer.from(data).copy(buffer);
    this.log.push({ address, bytes: Uint8Array.from(data), read: true });
    return length;
  }

  /** Bytes on the wire since `from`: each transaction's payload plus its address byte. */
  bytesSince(from = 0): number {
    return this.log.slice(from).reduce((n, t) => n + t.bytes.length + 1, 0);
  }
}

/** openBus for createDisplay: hands out emulated buses, or fails to open like a missing device. */
export class FakeBusFactory {
  readonly buses = new Map<number, FakeI2cBus>();
  /** When set, opening fails with this code (ENOENT: no /dev/i2c-N; EACCES: not in group i2c). */
  openError: string | null = null;
  opens = 0;

  bus(n: number): FakeI2cBus {
    let b = this.buses.get(n);
    if (!b) { b = new FakeI2cBus(n); this.buses.set(n, b); }
    return b;
  }

  readonly open = async (n: number): Promise<FakeI2cBus> => {
    this.opens++;
    if (this.openError) throw i2cError(this.openError, 'open', `/dev/i2c-${n}`);
    const b = this.bus(n);
    b.closed = false;
    return b;
  };
}
