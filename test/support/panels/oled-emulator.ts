// An SSD1306 or SH1106 as the datasheets describe it, fed the bytes of each I2C write: control
// bytes (Co, D/C#), commands with their arguments, the addressing modes and windows, and GDDRAM.
// It renders the glass as the module shows it, so a test sees what a user would.
import { I2cDevice } from './fake-bus';

export type OledController = 'ssd1306' | 'sh1106';

/** Commands followed by one argument byte (two for the SSD1306 window commands). */
const ARGS_SSD1306: Record<number, number> = {
  0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0x8d: 1, 0xa8: 1, 0xd3: 1, 0xd5: 1, 0xd9: 1, 0xda: 1, 0xdb: 1,
};
const ARGS_SH1106: Record<number, number> = {
  0x81: 1, 0xa8: 1, 0xad: 1, 0xd3: 1, 0xd5: 1, 0xd9: 1, 0xda: 1, 0xdb: 1,
};

export class OledEmulator implements I2cDevice {
  readonly ramWidth: number;
  readonly ram: Uint8Array[]; // [page][column]
  /** Protocol problems a real controller would silently misbehave on. */
  readonly errors: string[] = [];
  readonly commands: number[][] = [];
  displayOn = false;
  chargePump = false;
  dcdc = false;
  contrast = 0x7f;
  invert = false;
  entireOn = false;
  segRemap = false;
  comScanDec = false;
  multiplex = 63;
  startLine = 0;
  comPins = 0x12;
  mode: 'horizontal' | 'vertical' | 'page' = 'page'; // the SSD1306 reset default
  colStart = 0; colEnd = 127; pageStart = 0; pageEnd = 7;
  col = 0; page = 0;
  dataBytes = 0;
  /**
   * Commands whose argument bytes arrived in a later transaction than the opcode: the controller
   * does not reset its command decoder on START, so after a write cut between a command and its
   * arguments, the first bytes of the next write are taken as those arguments.
   */
  readonly spills: { command: number[]; fromLater: number[] }[] = [];
  /**
   * First RAM column visible at the glass's left edge with segment remap on (0xA1). The module
   * wires its 128 columns to a fixed run of the SH1106's 132 segment drivers, so with remap off the
   * first visible column is 132 - 128 - offset (SH1106 datasheet: ADC select, 132 x 64 RAM).
   */
  readonly offset: number;
  private pending: number[] = [];
  private pendingTx: number[] = [];
  private pendingFromTx = 0;
  private tx = 0;

  constructor(readonly controller: OledController, readonly height: 64 | 32 = 64, opts: { offset?: number } = {}) {
    this.ramWidth = controller === 'sh1106' ? 132 : 128;
    this.offset = controller === 'sh1106' ? opts.offset ?? 2 : 0;
    // Power-up RAM is undefined: fill with a pattern so a test notices parts never written.
    this.ram = Array.from({ length: 8 }, () => new Uint8Array(this.ramWidth).fill(0xa5));
  }

  /**
   * Power lost and restored with no write failing: the registers take their reset values (SSD1306
   * datasheet section 8.9 and the command table's "reset" column; SH1106 datasheet, "power on
   * reset"), the RAM holds no picture, and a half-received command is forgotten.
   */
  powerCycle(): void {
    this.displayOn = false;
    this.chargePump = false;
    this.dcdc = true; // SH1106: DC-DC on (0x8B) at reset
    this.contrast = this.controller === 'sh1106' ? 0x80 : 0x7f;
    this.invert = false;
    this.entireOn = false;
    this.segRemap = false;
    this.comScanDec = false;
    this.multiplex = 63;
    this.startLine = 0;
    this.comPins = 0x12;
    this.mode = 'page';
    this.colStart = 0; this.colEnd = 127; this.pageStart = 0; this.pageEnd = 7;
    this.col = 0; this.page = 0;
    this.pending = [];
    this.pendingTx = [];
    this.ram.forEach((p, i) => p.fill(i % 2 ? 0x3c : 0xc3));
  }

  write(bytes: Uint8Array, cut = false): void {
    this.tx++;
    let i = 0;
    while (i < bytes.length) {
      const control = bytes[i++];
      if ((control & 0x3f) !== 0) this.errors.push(`control byte 0x${control.toString(16)} has low bits set`);
      const co = (control & 0x80) !== 0;
      const isData = (control & 0x40) !== 0;
      if (co) {
        // Co=1: exactly one byte follows, then another control byte.
        if (i >= bytes.length) { if (!cut) this.errors.push('control byte with Co=1 at end of transaction'); break; }
        if (isData) this.data(bytes[i++]);
        else this.command(bytes[i++]);
      } else {
        // Co=0: the rest of the transaction is data or commands.
        for (; i < bytes.length; i++) isData ? this.data(bytes[i]) : this.command(bytes[i]);
      }
    }
  }

  read(length: number): Uint8Array {
    // Status byte: bit 6 = display off. Busy (bit 7) is never set: the emulator is instant.
    return new Uint8Array(length).fill(this.displayOn ? 0x00 : 0x40);
  }

  private command(b: number): void {
    if (this.pending.length === 0) { this.pendingFromTx = this.tx; this.pendingTx = []; }
    this.pending.push(b);
    this.pendingTx.push(this.tx);
    const op = this.pending[0];
    const args = (this.controller === 'sh1106' ? ARGS_SH1106 : ARGS_SSD1306)[op] ?? 0;
    if (this.pending.length <= args) return;
    const cmd = this.pending;
    this.pending = [];
    if (this.pendingFromTx !== this.tx) {
      // Which bytes came from this (later) transaction: the tail of the command.
      const later = cmd.slice(cmd.length - this.bytesOfThisTx(cmd.length));
      this.spills.push({ command: cmd, fromLater: later });
    }
    this.commands.push(cmd);
    this.execute(cmd);
  }

  private bytesOfThisTx(n: number): number {
    return this.pendingTx.slice(0, n).filter((t) => t === this.tx).length;
  }

  private execute(cmd: number[]): void {
    const [op, a, b] = cmd;
    const sh = this.controller === 'sh1106';
    if (op <= 0x0f) { this.col = (this.col & 0xf0) | op; return; }
    if (op <= 0x1f) { this.col = (this.col & 0x0f) | ((op & 0x0f) << 4); return; }
    if (op >= 0x40 && op <= 0x7f) { this.startLine = op & 0x3f; return; }
    if (op >= 0xb0 && op <= 0xb7) { this.page = op & 7; return; }
    if (sh && op >= 0x30 && op <= 0x33) return; // pump voltage
    switch (op) {
      case 0x20:
        if (a === 0) this.mode = 'horizontal';
        else if (a === 1) this.mode = 'vertical';
        else if (a === 2) this.mode = 'page';
        else this.errors.push(`invalid addressing mode ${a}`);
        return;
      case 0x21:
        if (this.mode === 'page') this.errors.push('column window set in page addressing mode');
        this.colStart = a & 0x7f; this.colEnd = b & 0x7f; this.col = this.colStart; return;
      case 0x22:
        if (this.mode === 'page') this.errors.push('page window set in page addressing mode');
        this.pageStart = a & 7; this.pageEnd = b & 7; this.page = this.pageStart; return;
      case 0x81: this.contrast = a; return;
      case 0x8d: this.chargePump = (a & 0x04) !== 0; return;
      case 0xad: this.dcdc = (a & 0x01) !== 0; return;
      case 0xa0: this.segRemap = false; return;
      case 0xa1: this.segRemap = true; return;
      case 0xa4: this.entireOn = false; return;
      case 0xa5: this.entireOn = true; return;
      case 0xa6: this.invert = false; return;
      case 0xa7: this.invert = true; return;
      case 0xa8: this.multiplex = a & 0x3f; return;
      case 0xae: this.displayOn = false; return;
      case 0xaf: this.displayOn = true; return;
      case 0xc0: this.comScanDec = false; return;
      case 0xc8: this.comScanDec = true; return;
      case 0xda: this.comPins = a; return;
      case 0xd3: case 0xd5: case 0xd9: case 0xdb: case 0x2e: case 0xe3: return;
      default:
        this.errors.push(`unknown ${this.controller} command 0x${op.toString(16)}`);
    }
  }

  private data(b: number): void {
    this.dataBytes++;
    if (this.col >= this.ramWidth) { this.errors.push(`data written past column ${this.ramWidth - 1}`); return; }
    this.ram[this.page][this.col] = b;
    if (this.controller === 'sh1106' || this.mode === 'page') {
      this.col++;
      return;
    }
    if (this.mode === 'horizontal') {
      if (this.col >= this.colEnd) {
        this.col = this.colStart;
        this.page = this.page >= this.pageEnd ? this.pageStart : this.page + 1;
      } else this.col++;
    } else {
      if (this.page >= this.pageEnd) {
        this.page = this.pageStart;
        this.col = this.col >= this.colEnd ? this.colStart : this.col + 1;
      } else this.page++;
    }
  }

  /** Whether the panel is lit at all: on, powered (charge pump / DC-DC), configured for its height. */
  get lit(): boolean {
    const powered = this.controller === 'sh1106' ? true : this.chargePump;
    return this.displayOn && powered;
  }

  /** The pixel at glass (x, y), seen in the module's normal orientation. */
  pixel(x: number, y: number): boolean {
    if (!this.lit) return false;
    if (y > this.multiplex) return false;
    const offset = this.offset;
    const col = this.segRemap ? x + offset : this.ramWidth - 1 - offset - x;
    const row = ((this.comScanDec ? y : this.height - 1 - y) + this.startLine) % 64;
    const on = this.entireOn || ((this.ram[row >> 3][col] >> (row & 7)) & 1) === 1;
    return on !== this.invert;
  }

  /** The glass as rows of '#' and '.', like Canvas.toText. */
  glassText(): string {
    const lines: string[] = [];
    for (let y = 0; y < this.height; y++) {
      let l = '';
      for (let x = 0; x < 128; x++) l += this.pixel(x, y) ? '#' : '.';
      lines.push(l);
    }
    return lines.join('\n') + '\n';
  }

  /** Configuration mistakes that would show on real glass as a blank or garbled panel. */
  configProblems(): string[] {
    const p = [...this.errors];
    if (this.multiplex !== this.height - 1) p.push(`multiplex ${this.multiplex + 1} on a ${this.height}-row panel`);
    const wantPins = this.height === 64 ? 0x12 : 0x02;
    if (this.comPins !== wantPins) p.push(`COM pins 0x${this.comPins.toString(16)} on a ${this.height}-row panel (want 0x${wantPins.toString(16)})`);
    if (this.controller === 'ssd1306' && !this.chargePump) p.push('charge pump off');
    return p;
  }
}
