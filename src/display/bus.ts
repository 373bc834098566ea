// The I2C bus as the drivers see it: the promise half of i2c-bus, which the real package and the
// test emulators both provide. i2c-bus is a native addon built at install time, so it is loaded
// only when a panel is actually configured: terminal, png and none run where it is absent.

export interface I2cLikeBus {
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  close(): Promise<void>;
}

export type OpenBus = (busNumber: number) => Promise<I2cLikeBus>;

export const openRealBus: OpenBus = async (busNumber) => {
  let mod: { openPromisified(bus: number): Promise<I2cLikeBus> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require('i2c-bus');
  } catch (err) {
    const e = new Error(`the i2c-bus package could not be loaded (${(err as Error).message}); reinstall with build tools present, or use --display terminal`);
    (e as NodeJS.ErrnoException).code = 'ENOMODULE';
    throw e;
  }
  return mod.openPromisified(busNumber);
};

/** Error codes that mean "the panel or bus is not there / not answering", with what to check. */
export function faultHint(code: string | undefined, busNumber: number, address: number): string {
  const dev = `/dev/i2c-${busNumber}`;
  const addr = `0x${address.toString(16)}`;
  switch (code) {
    case 'ENOENT':
      return `${dev} does not exist: enable I2C (raspi-config, or dtparam=i2c_arm=on in config.txt) and check the bus number; under systemd, PrivateDevices=yes hides it`;
    case 'EACCES':
    case 'EPERM':
      return `no permission on ${dev}: add the service user to the 'i2c' group (SupplementaryGroups=i2c, DeviceAllow=char-i2c rw)`;
    case 'EREMOTEIO':
    case 'ENXIO':
    case 'EIO':
      return `no device answers at ${addr} on ${dev}: check the wiring (SDA, SCL, VCC, GND) and the address (i2cdetect -y ${busNumber})`;
    case 'ETIMEDOUT':
      return `the bus timed out on ${dev}: check the wiring and pull-ups`;
    case 'ENOMODULE':
      return 'the i2c-bus native module is missing';
    default:
      return `unexpected error on ${dev} at ${addr}`;
  }
}

/**
 * Queues writes so they reach the bus in order: i2c-bus runs each async call on the thread pool,
 * and two calls in flight at once may be reordered.
 */
export class SerialWriter {
  private tail: Promise<unknown> = Promise.resolve();
  bytes = 0;
  transactions = 0;

  constructor(private readonly bus: I2cLikeBus, private readonly address: number) {}

  write(buf: Buffer): Promise<void> {
    const run = async (): Promise<void> => {
      await this.bus.i2cWrite(this.address, buf.length, buf);
      this.bytes += buf.length;
      this.transactions++;
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/**
 * One panel's connection: the bus, a serialised writer on it, and the traffic counted as the wire
 * sees it (each transaction also carries the address byte). Shared by the OLED and LCD drivers.
 */
export class PanelLink {
  private bus: I2cLikeBus | null = null;
  private writer: SerialWriter | null = null;
  readonly stats = { bytes: 0, transactions: 0 };

  constructor(private readonly openBus: OpenBus, private readonly busNumber: number, private readonly address: number) {}

  /** (Re)opens the bus, closing a previous handle first: re-initialising a panel starts clean. */
  async open(): Promise<void> {
    await this.close().catch(() => undefined);
    this.bus = await this.openBus(this.busNumber);
    this.writer = new SerialWriter(this.bus, this.address);
  }

  async send(bytes: number[] | Uint8Array): Promise<void> {
    if (!this.writer) throw Object.assign(new Error('panel link is not open'), { code: 'ENOTCONN' });
    const buf = Buffer.from(bytes);
    await this.writer.write(buf);
    this.stats.bytes += buf.length + 1;
    this.stats.transactions++;
  }

  async close(): Promise<void> {
    const bus = this.bus;
    this.bus = this.writer = null;
    if (bus) await bus.close();
  }
}
