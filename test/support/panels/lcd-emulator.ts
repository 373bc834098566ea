// A PCF8574 backpack and the HD44780U behind it. Each byte written sets the expander's pins; the
// controller latches D4..D7 (and RS) when E falls, starts in 8-bit mode after power-up, and
// executes instructions as the datasheet's table 6 describes, with DDRAM and CGRAM. The bus timing
// of figure 25 is checked at the granularity the expander allows (one pin change per write): RS and
// RW must be set in a write before the one that raises E (tAS), and RS, RW and D4..D7 must not
// change in the write that lowers E (tAH, tH).
import { I2cDevice } from './fake-bus';

export interface PinMap { rs: number; rw: number; e: number; backlight: number; d4: number; d5: number; d6: number; d7: number }
export const COMMON_BACKPACK: PinMap = { rs: 0, rw: 1, e: 2, backlight: 3, d4: 4, d5: 5, d6: 6, d7: 7 };

const ROW_BASE = [0x00, 0x40, 0x14, 0x54];

export class LcdEmulator implements I2cDevice {
  readonly ddram = new Uint8Array(0x80).fill(0x20);
  readonly cgram = new Uint8Array(64);
  readonly errors: string[] = [];
  readonly instructions: number[] = [];
  eightBit = true;
  twoLines = false;
  displayOn = false;
  cursor = false;
  blink = false;
  increment = true;
  backlight = false;
  addr = 0;
  target: 'ddram' | 'cgram' = 'ddram';
  dataWrites = 0;
  /** PCF8574 datasheet: the quasi-bidirectional pins come up high at power-on. */
  private pins = 0xff;
  /**
   * True until the first write after power-on: the pins then fall from their power-on high with
   * no chance of ordering, and whatever that latches is what reset by instruction is for.
   */
  private fromPowerOn = true;
  private half: number | null = null; // first nibble of a 4-bit transfer
  private halfRs = false;

  /**
   * `backlightActiveLow`: the backpack's backlight transistor conducts when its PCF8574 pin is low
   * (a PNP stage, as on some boards), so a 0 on that pin lights the LCD.
   */
  constructor(readonly cols: 20 | 16, readonly rows: 4 | 2, readonly map: PinMap = COMMON_BACKPACK,
    readonly backlightActiveLow = false) {
    this.backlight = this.bit(map.backlight) !== backlightActiveLow;
  }

  private bit(pin: number): boolean { return ((this.pins >> pin) & 1) === 1; }

  /**
   * Power lost and restored with no write failing. HD44780U datasheet, "Initializing by Internal
   * Reset Circuit": display clear, 8-bit interface, one line, display off, increment; CGRAM holds
   * no defined pattern. The expander's pins come up high.
   */
  powerCycle(): void {
    this.ddram.fill(0x20);
    this.cgram.forEach((_, i) => { this.cgram[i] = (i * 7) & 0x1f; });
    this.eightBit = true;
    this.twoLines = false;
    this.displayOn = this.cursor = this.blink = false;
    this.increment = true;
    this.addr = 0;
    this.target = 'ddram';
    this.half = null;
    this.pins = 0xff;
    this.fromPowerOn = true;
    this.backlight = this.bit(this.map.backlight) !== this.backlightActiveLow;
  }

  write(bytes: Uint8Array): void {
    const m = this.map;
    const dataMask = (1 << m.d4) | (1 << m.d5) | (1 << m.d6) | (1 << m.d7);
    const addrMask = (1 << m.rs) | (1 << m.rw);
    for (const b of bytes) {
      const before = this.pins;
      const eBefore = this.bit(m.e);
      const eAfter = ((b >> m.e) & 1) === 1;
      const checked = !this.fromPowerOn;
      this.fromPowerOn = false;
      if (checked && !eBefore && eAfter && ((before ^ b) & addrMask) !== 0) {
        this.errors.push('RS/RW changed in the same write that raised E (tAS: they must be set before E rises)');
      }
      if (checked && eBefore && !eAfter && ((before ^ b) & (dataMask | addrMask)) !== 0) {
        this.errors.push('RS/RW/D4..D7 changed in the same write that lowered E (tAH, tH: they must hold across the falling edge)');
      }
      this.pins = b;
      this.backlight = this.bit(m.backlight) !== this.backlightActiveLow;
      if (eBefore && !eAfter) this.latch();
    }
  }

  private latch(): void {
    if (this.bit(this.map.rw)) { this.errors.push('E pulsed with RW high (read): the driver only writes'); return; }
    const rs = this.bit(this.map.rs);
    const nibble = (this.bit(this.map.d4) ? 1 : 0) | (this.bit(this.map.d5) ? 2 : 0) | (this.bit(this.map.d6) ? 4 : 0) | (this.bit(this.map.d7) ? 8 : 0);
    if (this.eightBit) {
      // D0..D3 are not wired on a backpack: they read as 0.
      this.execute(nibble << 4, rs);
      return;
    }
    if (this.half === null) { this.half = nibble; this.halfRs = rs; return; }
    if (rs !== this.halfRs) this.errors.push('RS changed between the two nibbles of one byte');
    const v = (this.half << 4) | nibble;
    this.half = null;
    this.execute(v, rs);
  }

  private execute(v: number, rs: boolean): void {
    if (rs) { this.writeData(v); return; }
    this.instructions.push(v);
    if (v & 0x80) { this.target = 'ddram'; this.addr = v & 0x7f; return; }
    if (v & 0x40) { this.target = 'cgram'; this.addr = v & 0x3f; return; }
    if (v & 0x20) {
      this.eightBit = (v & 0x10) !== 0;
      this.twoLines = (v & 0x08) !== 0;
      this.half = null;
      return;
    }
    if (v & 0x10) return; // cursor/display shift: unused
    if (v & 0x08) { this.displayOn = (v & 4) !== 0; this.cursor = (v & 2) !== 0; this.blink = (v & 1) !== 0; return; }
    if (v & 0x04) { this.increment = (v & 2) !== 0; if (v & 1) this.errors.push('display shift on entry enabled'); return; }
    if (v & 0x02) { this.target = 'ddram'; this.addr = 0; return; }
    if (v & 0x01) { this.ddram.fill(0x20); this.target = 'ddram'; this.addr = 0; this.increment = true; return; }
  }

  private writeData(v: number): void {
    this.dataWrites++;
    if (this.eightBit) this.errors.push('data written in 8-bit mode');
    if (this.target === 'cgram') {
      this.cgram[this.addr] = v & 0x1f;
      this.addr = (this.addr + (this.increment ? 1 : -1)) & 0x3f;
      return;
    }
    const valid = this.twoLines ? (this.addr <= 0x27 || (this.addr >= 0x40 && this.addr <= 0x67)) : this.addr <= 0x4f;
    if (!valid) this.errors.push(`DDRAM write to invalid address 0x${this.addr.toString(16)}`);
    this.ddram[this.addr] = v;
    // In two-line mode the counter runs 0x27 -> 0x40 and 0x67 -> 0x00.
    if (this.increment) this.addr = this.addr === 0x27 ? 0x40 : this.addr === 0x67 ? 0x00 : (this.addr + 1) & 0x7f;
    else this.addr = this.addr === 0x40 ? 0x27 : this.addr === 0x00 ? 0x67 : (this.addr - 1) & 0x7f;
  }

  code(row: number, col: number): number { return this.ddram[ROW_BASE[row] + col]; }

  /** CGRAM glyph rows (5 bits each) of a slot. */
  glyph(slot: number): number[] { return [...this.cgram.subarray(slot * 8, slot * 8 + 8)]; }

  /** How a custom glyph looks, as one text character. */
  describeGlyph(slot: number): string {
    const g = this.glyph(slot);
    const mid = g.slice(1, 7);
    const bars = [0x10, 0x18, 0x1c, 0x1e, 0x1f];
    if (g[0] === 0 && g[7] === 0 && mid.every((r) => r === mid[0]) && bars.includes(mid[0])) return '▏▎▍▋█'[bars.indexOf(mid[0])];
    if (mid.every((r, i) => r === (i % 2 === 0 ? 0x15 : 0x0a))) return '▒';
    if (g.join(',') === [0, 0x15, 0, 0, 0, 0, 0x15, 0].join(',')) return '_';
    if (g.join(',') === [0, 0, 0x08, 0x15, 0x02, 0, 0, 0].join(',')) return '~';
    return '¤';
  }

  /** The glass as text: ROM A00 characters, custom glyphs described; blank when the display is off. */
  glassText(): string {
    const lines: string[] = [];
    for (let r = 0; r < this.rows; r++) {
      let l = '';
      for (let c = 0; c < this.cols; c++) {
        if (!this.displayOn) { l += ' '; continue; }
        const v = this.code(r, c);
        if (v < 16) l += this.describeGlyph(v & 7);
        else if (v === 0x5c) l += '¥';
        else if (v === 0x7e) l += '→';
        else if (v === 0x7f) l += '←';
        else if (v === 0xff) l += '█';
        else if (v >= 0x20 && v < 0x7e) l += String.fromCharCode(v);
        else l += '?';
      }
      lines.push(l);
    }
    return lines.join('\n') + '\n';
  }

  configProblems(): string[] {
    const p = [...this.errors];
    if (this.eightBit) p.push('still in 8-bit mode');
    if (!this.twoLines) p.push('one-line mode: rows 2 and 4 stay dark');
    if (this.half !== null) p.push('out of nibble sync');
    return p;
  }
}
