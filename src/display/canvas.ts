// A 1-bit framebuffer laid out as the OLED controllers' RAM: pages of 8 rows, one byte per
// column per page, least significant bit at the top. Drivers can then diff and send bytes as is.
import { BitmapFont, textWidth } from './fonts';

export class Canvas {
  readonly pages: number;
  readonly buf: Uint8Array;

  constructor(readonly width: number, readonly height: number, buf?: Uint8Array) {
    if (height % 8 !== 0) throw new Error(`canvas height ${height} is not a multiple of 8`);
    this.pages = height / 8;
    this.buf = buf ?? new Uint8Array(width * this.pages);
  }

  clone(): Canvas { return new Canvas(this.width, this.height, this.buf.slice()); }

  clear(): void { this.buf.fill(0); }

  get(x: number, y: number): boolean {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return false;
    return (this.buf[(y >> 3) * this.width + x] >> (y & 7) & 1) === 1;
  }

  set(x: number, y: number, on = true): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y >> 3) * this.width + x;
    if (on) this.buf[i] |= 1 << (y & 7);
    else this.buf[i] &= ~(1 << (y & 7));
  }

  fillRect(x: number, y: number, w: number, h: number, on = true): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.set(xx, yy, on);
  }

  invertRect(x: number, y: number, w: number, h: number): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) this.set(xx, yy, !this.get(xx, yy));
  }

  hline(x: number, y: number, w: number, on = true): void { this.fillRect(x, y, w, 1, on); }

  /** Outline of a rectangle. */
  rect(x: number, y: number, w: number, h: number): void {
    this.hline(x, y, w);
    this.hline(x, y + h - 1, w);
    this.fillRect(x, y, 1, h);
    this.fillRect(x + w - 1, y, 1, h);
  }

  /** Every other pixel: "used by others" in bars, distinct from our solid fill. */
  hatchRect(x: number, y: number, w: number, h: number): void {
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) if (((xx + yy) & 1) === 0) this.set(xx, yy);
  }

  /** Draws text with its line box's top at y; returns the pen x after the last glyph. */
  text(font: BitmapFont, x: number, y: number, text: string, on = true): number {
    const baseline = y + font.ascent;
    let pen = x;
    for (const ch of text) {
      const g = font.glyphs.get(ch) ?? font.glyphs.get('?');
      if (!g) continue;
      const gx = pen + g.xoff;
      const gy = baseline - g.yoff - g.h;
      for (let r = 0; r < g.h; r++) {
        const row = g.rows[r];
        for (let c = 0; c < g.w; c++) if ((row >> (g.w - 1 - c)) & 1) this.set(gx + c, gy + r, on);
      }
      pen += g.advance;
    }
    return pen;
  }

  /** Right-aligned text ending at xRight (exclusive). */
  textRight(font: BitmapFont, xRight: number, y: number, text: string): number {
    const x = xRight - textWidth(font, text) + 1;
    this.text(font, x, y, text);
    return x;
  }

  /** A copy moved by (dx, dy) pixels, for burn-in care; what leaves the glass is dropped. */
  shifted(dx: number, dy: number): Canvas {
    if (dx === 0 && dy === 0) return this.clone();
    const out = new Canvas(this.width, this.height);
    for (let y = 0; y < this.height; y++) for (let x = 0; x < this.width; x++) if (this.get(x, y)) out.set(x + dx, y + dy);
    return out;
  }

  /** Rows of '#' and '.', for golden files and failure messages. */
  toText(): string {
    const lines: string[] = [];
    for (let y = 0; y < this.height; y++) {
      let l = '';
      for (let x = 0; x < this.width; x++) l += this.get(x, y) ? '#' : '.';
      lines.push(l);
    }
    return lines.join('\n') + '\n';
  }
}
