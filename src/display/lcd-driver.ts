// HD44780 character LCDs behind a PCF8574 I2C expander, driven in 4-bit mode. Each byte written
// to the PCF8574 sets its eight pins at once, so the datasheet's bus timing (HD44780U figure 25)
// becomes an order of writes: RS settles in a write of its own before the one that raises E (tAS),
// and RS and the data stay put in the write that lowers E, which latches the nibble (tAH, tH).
// Only the cells that changed are rewritten, and a whole update goes out in as few transactions as fit.
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
  /** One refresh step per row: configuration, a share of the CGRAM glyphs, and that row. */
  readonly refreshSteps: number;
  private readonly link: PanelLink;
  private shadow: Uint8Array | null = null;
  private backlight: boolean;
  /** The expander's pins after the bytes built so far, or null when unknown (start, after a fault). */
  private pins: number | null = null;
  private refreshRow = 0;

  constructor(private readonly spec: Hd44780Spec, openBus: OpenBus,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {
    this.size = `${spec.cols}x${spec.rows}` as PanelSize;
    this.busNumber = spec.bus;
    this.address = spec.address;
    this.link = new PanelLink(openBus, spec.bus, spec.address);
    this.backlight = spec.backlight;
    this.refreshSteps = spec.rows;
    this.description = `hd44780 ${spec.cols}x${spec.rows} (PCF8574 at 0x${spec.address.toString(16)}) on /dev/i2c-${spec.bus}`;
  }

  /** The PCF8574 byte for a nibble with E high or low; RW stays low (the driver only writes). */
  private pinByte(nibble: number, rs: boolean, e: boolean): number {
    const p = this.spec.pins;
    let b = 0;
    if (rs) b |= 1 << p.rs;
    if (e) b |= 1 << p.e;
    // An active-low backpack lights the LCD with its pin low: the pin is the inverse of the wish.
    if (this.backlight !== this.spec.backlightActiveLow) b |= 1 << p.backlight;
    if (nibble & 1) b |= 1 << p.d4;
    if (nibble & 2) b |= 1 << p.d5;
    if (nibble & 4) b |= 1 << p.d6;
    if (nibble & 8) b |= 1 << p.d7;
    return b;
  }

  private push(out: number[], b: number): void {
    out.push(b);
    this.pins = b;
  }

  /**
   * One nibble: E low with RS and the data already set, E high, E low. The first write is left out
   * when the pins already read exactly that (E low, same RS, data and backlight), which is the case
   * for every nibble after the first of a run with the same RS, bar the data lines: those may change
   * while E is low (only tDSW before E falls matters for them), so the write raising E carries them.
   */
  private nibble(out: number[], n: number, rs: boolean): void {
    const low = this.pinByte(n, rs, false);
    const rsMask = 1 << this.spec.pins.rs;
    const eMask = 1 << this.spec.pins.e;
    const settled = this.pins !== null && (this.pins & eMask) === 0 && (this.pins & rsMask) === (low & rsMask);
    if (!settled) this.push(out, low);
    this.push(out, this.pinByte(n, rs, true));
    this.push(out, low);
  }

  private byte(out: number[], v: number, rs: boolean): void {
    this.nibble(out, v >> 4, rs);
    this.nibble(out, v & 0x0f, rs);
  }

  /** Bus traffic since start (payload plus one address byte per transaction), for the bench and tests. */
  get stats(): { bytes: number; transactions: number } { return this.link.stats; }

  private async send(bytes: number[]): Promise<void> {
    try {
      for (let i = 0; i < bytes.length; i += MAX_TRANSACTION) await this.link.send(bytes.slice(i, i + MAX_TRANSACTION));
    } catch (err) {
      this.pins = null;
      this.shadow = null;
      throw err;
    }
  }

  /**
   * Initialisation by instruction (HD44780U datasheet, figure 24, 4-bit interface): nibble 0x3,
   * wait more than 4.1 ms, 0x3, wait more than 100 µs, 0x3, then 0x2 for 4-bit mode. It brings the
   * controller to 4-bit mode and in step with the driver from any state: after power-up (8-bit
   * mode), in step in 4-bit mode, or half way through a byte after a write was cut (the first 0x3
   * then completes that byte, the next two are a function set to 8-bit mode).
   */
  private async resync(): Promise<number[]> {
    let b: number[] = [];
    this.nibble(b, 0x3, false);
    await this.send(b);
    await this.sleep(5);
    b = [];
    this.nibble(b, 0x3, false);
    await this.send(b);
    await this.sleep(1);
    b = [];
    this.nibble(b, 0x3, false);
    this.nibble(b, 0x2, false); // 4-bit interface from here on
    this.byte(b, 0x28, false); // 2 lines, 5x8 dots
    return b;
  }

  async init(): Promise<void> {
    this.shadow = null;
    this.pins = null;
    this.refreshRow = 0;
    await this.link.open();
    // More than 40 ms after Vcc rises before the first instruction (figure 24).
    const idle: number[] = [];
    this.push(idle, this.pinByte(0, false, false));
    await this.send(idle);
    await this.sleep(50);
    const b = await this.resync();
    this.byte(b, 0x08, false); // display off
    this.byte(b, 0x01, false); // clear: 1.52 ms
    await this.send(b);
    await this.sleep(2);
    const c: number[] = [];
    this.byte(c, 0x06, false); // increment, no shift
    this.glyphs(c, 0, CGRAM_GLYPHS.length);
    this.byte(c, 0x0c, false); // display on, no cursor, no blink
    await this.send(c);
    this.shadow = new Uint8Array(this.spec.cols * this.spec.rows).fill(0x20); // clear left spaces
  }

  /** CGRAM glyphs [from, to): the address of the first, then 8 rows each (auto-increment). */
  private glyphs(out: number[], from: number, to: number): void {
    if (from >= to) return;
    this.byte(out, 0x40 | (from << 3), false);
    for (let slot = from; slot < to; slot++) for (const row of CGRAM_GLYPHS[slot]) this.byte(out, row, true);
  }

  /**
   * One step of the power-loss refresh: reset by instruction (a controller that lost power is back
   * in 8-bit mode, one line, display off, CGRAM undefined), the configuration, an equal share of
   * the eight CGRAM glyphs, and one row rewritten from what the glass should hold. After
   * `refreshSteps` steps every glyph and every row has been rewritten. About 260 bytes a step on a
   * 20x4, 330 on a 16x2.
   */
  async refreshStep(): Promise<void> {
    const shadow = this.shadow;
    if (shadow === null) return;
    const r = this.refreshRow;
    this.refreshRow = (r + 1) % this.spec.rows;
    const b = await this.resync();
    this.byte(b, 0x0c, false); // display on, no cursor, no blink
    this.byte(b, 0x06, false); // increment, no shift
    const per = CGRAM_GLYPHS.length / this.spec.rows;
    this.glyphs(b, r * per, (r + 1) * per);
    this.byte(b, 0x80 | ROW_BASE[r], false);
    for (let c = 0; c < this.spec.cols; c++) this.byte(b, shadow[r * this.spec.cols + c], true);
    await this.send(b);
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
        // address (6 bytes with its two RS changes) plus the gap; i.e. bridge gaps of one cell.
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
    await this.send(out);
    if (!this.shadow) this.shadow = new Uint8Array(f.cells.length).fill(0xfe);
    for (const [a, b] of written) for (let i = a; i <= b; i++) this.shadow[i] = f.cells[i];
  }

  async setDim(dim: boolean): Promise<void> {
    // A character LCD cannot dim its pixels; at night the backlight goes off instead.
    this.backlight = this.spec.backlight && !dim;
    const b: number[] = [];
    this.push(b, this.pinByte(0, false, false));
    await this.send(b);
  }

  async blank(): Promise<void> {
    const b: number[] = [];
    this.backlight = false;
    this.byte(b, 0x08, false); // display off; DDRAM is kept
    this.push(b, this.pinByte(0, false, false));
    await this.send(b);
  }

  async close(): Promise<void> {
    this.shadow = null;
    this.pins = null;
    await this.link.close();
  }
}
