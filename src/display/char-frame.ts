// Character frames for HD44780 LCDs: codes as the controller's DDRAM holds them, plus the eight
// CGRAM glyphs the layouts use for bars and for setting the uncertain digits apart.

/** CGRAM slots: solid bar 1..5 columns (ours), hatched cell (others), empty bar cell, and '~'. */
export const GLYPH_OURS_1 = 0; // ..4 = 1..5 columns lit
export const GLYPH_OTHERS = 5;
export const GLYPH_EMPTY = 6;
export const GLYPH_TILDE = 7;

/** 8 rows of 5 bits each (bit 4 = leftmost), slot order. */
export const CGRAM_GLYPHS: readonly number[][] = (() => {
  const glyphs: number[][] = [];
  for (let cols = 1; cols <= 5; cols++) {
    const row = (0x1f << (5 - cols)) & 0x1f;
    glyphs.push([0, row, row, row, row, row, row, 0]);
  }
  glyphs.push([0, 0x15, 0x0a, 0x15, 0x0a, 0x15, 0x0a, 0]);
  glyphs.push([0, 0x15, 0, 0, 0, 0, 0x15, 0]);
  glyphs.push([0, 0, 0x08, 0x15, 0x02, 0, 0, 0]);
  return glyphs;
})();

export class CharFrame {
  readonly cells: Uint8Array;

  constructor(readonly cols: number, readonly rows: number, cells?: Uint8Array) {
    this.cells = cells ?? new Uint8Array(cols * rows).fill(0x20);
  }

  clone(): CharFrame { return new CharFrame(this.cols, this.rows, this.cells.slice()); }

  /**
   * Writes text at (row, col), clipped at the right edge, in the A00 ROM's characters. Never the
   * CGRAM '~' (a '~' in the text shows as '?'): that glyph means "uncertain digits follow" and is
   * set only with setCode(..., GLYPH_TILDE) by the digits row.
   */
  put(row: number, col: number, text: string): number {
    let c = col;
    for (const ch of text) {
      if (c >= this.cols) break;
      if (c >= 0 && row >= 0 && row < this.rows) this.cells[row * this.cols + c] = charCode(ch);
      c++;
    }
    return c;
  }

  putRight(row: number, colEnd: number, text: string): void {
    this.put(row, colEnd - text.length, text);
  }

  setCode(row: number, col: number, code: number): void {
    if (row >= 0 && row < this.rows && col >= 0 && col < this.cols) this.cells[row * this.cols + col] = code;
  }

  /**
   * A bar of `width` cells: ours in fifths of a cell, then others in whole hatched cells, then
   * empty cells, so the three parts read left to right like the pixel bars.
   */
  bar(row: number, col: number, width: number, oursFrac: number, othersFrac: number): void {
    const clampF = (f: number) => Math.max(0, Math.min(1, Number.isFinite(f) ? f : 0));
    const ours = Math.round(clampF(oursFrac) * width * 5);
    const oursCells = Math.ceil(ours / 5);
    let others = Math.round(clampF(othersFrac) * width);
    others = Math.min(others, width - oursCells);
    for (let i = 0; i < width; i++) {
      let code: number;
      if (i < oursCells) {
        const fifths = Math.min(5, ours - i * 5);
        code = GLYPH_OURS_1 + fifths - 1;
      } else if (i < oursCells + others) code = GLYPH_OTHERS;
      else code = GLYPH_EMPTY;
      this.setCode(row, col + i, code);
    }
  }

  /** Text rendering, CGRAM cells shown by their look: for goldens and the terminal. */
  toText(): string {
    const lines: string[] = [];
    for (let r = 0; r < this.rows; r++) {
      let l = '';
      for (let c = 0; c < this.cols; c++) l += codeToText(this.cells[r * this.cols + c]);
      lines.push(l);
    }
    return lines.join('\n') + '\n';
  }
}

function charCode(ch: string): number {
  if (ch === '→') return 0x7e; // A00 ROM: right arrow, the cut mark
  const cp = ch.codePointAt(0) ?? 0x3f;
  // The A00 ROM has ¥ at 0x5C and arrows at 0x7E/0x7F; everything else of printable ASCII matches.
  if (cp === 0x5c) return 0x2f;
  if (cp < 0x20 || cp > 0x7d) return 0x3f;
  return cp;
}

const CGRAM_TEXT = ['▏', '▎', '▍', '▋', '█', '▒', '_', '~'];

export function codeToText(code: number): string {
  if (code < 16) return CGRAM_TEXT[code & 7];
  if (code === 0xff) return '█';
  if (code === 0x5c) return '¥';
  if (code === 0x7e) return '→';
  if (code === 0x7f) return '←';
  if (code >= 0x20 && code < 0x7e) return String.fromCharCode(code);
  return '?';
}
