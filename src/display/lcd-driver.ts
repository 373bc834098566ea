// HD44780 character LCDs behind a PCF8574 I2C expander, driven in 4-bit mode. Each byte written
// to the PCF8574 sets its eight pins; a nibble is latched by E going high then low. Only the
// cells that changed are rewritten, and a whole update goes out in as few transactions as fit.
import { OpenBus, PanelLink } from './bus';
import { CGRAM_GLYPHS, CharFrame } from './char-frame';
import { Frame } from './screens';
import { Hd44780Spec, PanelSize } from './spec';
import { PanelDriver } from './panel-display';

const ROW_BASE = [0x00, 0x40, 0x14, 0x54];
const MAX_TRANSACTION = 256;

export class LcdDriver implements PanelDriver {
  readonly description: string;
  readonly size: PanelSize;
  readonly busNumber: number;
  readonly address: number;
  readonly burnInShift = false;
  private readonly link: PanelLink;
  private shadow: Uint8Array | null = null;
  private backlight: boolean;

  constructor(private readonly spec: Hd44780Spec, openBus: OpenBus,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {
    this.size = `${spec.cols}x${spec.rows}` as PanelSize;
    this.busNumber = spec.bus;
    this.address = spec.address;
    this.link = new PanelLink(openBus, spec.bus, spec.address);
    this.backlight = spec.backlight;
    this.description = `hd44780 ${spec.cols}x${spec.rows} (PCF8574 at 0x${spec.address.toString(16)}) on /dev/i2c-${spec.bus}`;
  }

  /** The PCF8574 byte for a nibble with E high or low. */
  private pinByte(nibble: number, rs: boolean, e: boolean): number {
    const p = this.spec.pins;
    let b = 0;
    if (rs) b |= 1 << p.rs;
    if (e) b |= 1 << p.e;
    if (this.backlight) b |= 1 << p.backlight;
    if (nibble & 1) b |= 1 << p.d4;
    if (nibble & 2) b |= 1 << p.d5;
    if (nibble & 4) b |= 1 << p.d6;
    if (nibble & 8) b |= 1 << p.d7;
    return b;
  }

  private nibble(out: number[], n: number, rs: boolean): void {
    out.push(this.pinByte(n, rs, true), this.pinByte(n, rs, false));
  }

  private byte(out: number[], v: number, rs: boolean): void {
    this.nibble(out, v >> 4, rs);
    this.nibble(out, v & 0x0f, rs);
  }

  get stats(): { bytes: number; transactions: number } { return this.link.stats; }

  private async send(bytes: number[]): Promise<void> {
    for (let i = 0; i < bytes.length; i += MAX_TRANSACTION) await this.link.send(bytes.slice(i, i + MAX_TRANSACTION));
  }

  async init(): Promise<void> {
    this.shadow = null;
    await this.link.open();
    // Reset by instruction (HD44780U datasheet figure 24): the controller may be in 8-bit mode
    // or half way through a 4-bit byte, and three 0x3 nibbles bring it to a known state.
    await this.send([this.pinByte(0, false, false)]);
    await this.sleep(50);
    let b: number[] = [];
    this.nibble(b, 0x3, false);
    await this.send(b);
    await this.sleep(5);
    await this.send(b);
    await this.sleep(1);
    b = [];
    this.nibble(b, 0x3, false);
    this.nibble(b, 0x2, false); // 4-bit interface from here on
    this.byte(b, 0x28, false); // 2 lines, 5x8 dots
    this.byte(b, 0x08, false); // display off
    this.byte(b, 0x01, false); // clear: 1.52 ms
    await this.send(b);
    await this.sleep(2);
    b = [];
    this.byte(b, 0x06, false); // increment, no shift
    this.byte(b, 0x40, false); // CGRAM address 0: the eight custom glyphs follow
    for (const glyph of CGRAM_GLYPHS) for (const row of glyph) this.byte(b, row, true);
    this.byte(b, 0x0c, false); // display on, no cursor, no blink
    await this.send(b);
    this.shadow = new Uint8Array(this.spec.cols * this.spec.rows).fill(0x20); // clear left spaces
  }

  async draw(frame: Frame): Promise<void> {
    if (frame.kind !== 'char') throw new Error('an HD44780 draws character frames');
    const f: CharFrame = frame.chars;
    const shadow = this.shadow ?? new Uint8Array(f.cells.length).fill(0xfe);
    const out: number[] = [];
    const written: [number, number][] = [];
    for (let r = 0; r < f.rows; r++) {
      let c = 0;
      while (c < f.cols) {
        const i = r * f.cols + c;
        if (f.cells[i] === shadow[i]) { c++; continue; }
        // A run: extend over unchanged cells when rewriting one (4 bytes) is cheaper than a new
        // address (4 bytes) plus the gap; i.e. bridge gaps of one cell.
        let end = c;
        for (let k = c + 1; k < f.cols; k++) {
          const j = r * f.cols + k;
          if (f.cells[j] !== shadow[j]) end = k;
          else if (k - end > 1) break;
        }
        this.byte(out, 0x80 | (ROW_BASE[r] + c), false);
        for (let k = c; k <= end; k++) this.byte(out, f.cells[r * f.cols + k], true);
        written.push([r * f.cols + c, r * f.cols + end]);
        c = end + 1;
      }
    }
    if (out.length === 0) return;
    try {
      await this.send(out);
    } catch (err) {
      this.shadow = null;
      throw err;
    }
    if (!this.shadow) this.shadow = new Uint8Array(f.cells.length).fill(0xfe);
    for (const [a, b] of written) for (let i = a; i <= b; i++) this.shadow[i] = f.cells[i];
  }

  async setDim(dim: boolean): Promise<void> {
    // A character LCD cannot dim its pixels; at night the backlight goes off instead.
    this.backlight = this.spec.backlight && !dim;
    await this.send([this.pinByte(0, false, false)]);
  }

  async blank(): Promise<void> {
    const b: number[] = [];
    this.backlight = false;
    this.byte(b, 0x08, false); // display off; DDRAM is kept
    b.push(this.pinByte(0, false, false));
    await this.send(b);
  }

  async close(): Promise<void> {
    this.shadow = null;
    await this.link.close();
  }
}
