// Bitmap fonts. Large fonts live in fonts/*.bdf (Glyph Bitmap Distribution Format 2.1, the X11
// standard every font editor reads); the small font is the oled-font-5x7 package's, used as is.
import * as fs from 'fs';
import * as path from 'path';

export interface Glyph {
  /** Bitmap box: width, height, offset of its lower-left corner from the origin (y up). */
  w: number;
  h: number;
  xoff: number;
  yoff: number;
  /** Pen advance after the glyph. */
  advance: number;
  /** One entry per row, top first; bit (w-1-x) of a row is pixel x. */
  rows: number[];
}

export interface BitmapFont {
  name: string;
  /** Pixels above and below the baseline: a text line is ascent + descent high. */
  ascent: number;
  descent: number;
  glyphs: Map<string, Glyph>;
}

export function parseBdf(text: string, name = 'bdf'): BitmapFont {
  const lines = text.split(/\r?\n/);
  const glyphs = new Map<string, Glyph>();
  let ascent = -1;
  let descent = -1;
  let i = 0;
  const bad = (why: string): never => { throw new Error(`font ${name}: line ${i + 1}: ${why}`); };
  if (!/^STARTFONT 2\.[12]/.test(lines[0] ?? '')) bad('not a BDF 2.x file (no STARTFONT)');
  for (; i < lines.length; i++) {
    const [kw, ...args] = lines[i].trim().split(/\s+/);
    if (kw === 'FONT_ASCENT') ascent = Number(args[0]);
    else if (kw === 'FONT_DESCENT') descent = Number(args[0]);
    else if (kw === 'STARTCHAR') {
      let enc = -1;
      let adv = -1;
      let bbx: number[] | null = null;
      for (i++; i < lines.length; i++) {
        const [k, ...a] = lines[i].trim().split(/\s+/);
        if (k === 'ENCODING') enc = Number(a[0]);
        else if (k === 'DWIDTH') adv = Number(a[0]);
        else if (k === 'BBX') bbx = a.map(Number);
        else if (k === 'BITMAP') break;
        else if (k === 'ENDCHAR') bad('ENDCHAR before BITMAP');
      }
      if (!bbx || bbx.length !== 4 || bbx.some((v) => !Number.isInteger(v))) bad('missing or bad BBX');
      if (enc < 0 || adv < 0) bad('missing ENCODING or DWIDTH');
      const [w, h, xoff, yoff] = bbx!;
      const rows: number[] = [];
      const nbytes = Math.ceil(w / 8);
      for (i++; i < lines.length && lines[i].trim() !== 'ENDCHAR'; i++) {
        const hex = lines[i].trim();
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== nbytes * 2) bad(`bad bitmap row ${JSON.stringify(hex)}`);
        rows.push(parseInt(hex, 16) >>> (nbytes * 8 - w));
      }
      if (rows.length !== h) bad(`glyph ${enc} has ${rows.length} rows, BBX says ${h}`);
      glyphs.set(String.fromCodePoint(enc), { w, h, xoff, yoff, advance: adv, rows });
    }
  }
  if (ascent < 0 || descent < 0) { i = 0; bad('FONT_ASCENT and FONT_DESCENT properties are required'); }
  return { name, ascent, descent, glyphs };
}

/** oled-font-5x7: 5 column bytes per glyph, least significant bit at the top, 1-pixel spacing. */
export function fontFromOledPackage(pkg: { width: number; height: number; fontData: number[]; lookup: string[] }, name: string): BitmapFont {
  const glyphs = new Map<string, Glyph>();
  pkg.lookup.forEach((ch, idx) => {
    const cols = pkg.fontData.slice(idx * pkg.width, (idx + 1) * pkg.width);
    const rows: number[] = [];
    for (let y = 0; y < pkg.height; y++) {
      let r = 0;
      for (let x = 0; x < pkg.width; x++) r = (r << 1) | ((cols[x] >> y) & 1);
      rows.push(r);
    }
    glyphs.set(ch, { w: pkg.width, h: pkg.height, xoff: 0, yoff: 0, advance: pkg.width + 1, rows });
  });
  return { name, ascent: pkg.height, descent: 1, glyphs };
}

function fontsDir(): string {
  // src/display (ts-node) or dist/src/display (compiled): the repository's fonts/ is above both.
  for (const up of [['..', '..', 'fonts'], ['..', '..', '..', 'fonts']]) {
    const dir = path.resolve(__dirname, ...up);
    if (fs.existsSync(path.join(dir, 'pi-digits-8x14.bdf'))) return dir;
  }
  throw new Error(`fonts/ not found above ${__dirname}`);
}

let small: BitmapFont | null = null;
let large: BitmapFont | null = null;

export function smallFont(): BitmapFont {
  if (!small) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const base = fontFromOledPackage(require('oled-font-5x7'), 'oled-font-5x7');
    const extra = parseBdf(fs.readFileSync(path.join(fontsDir(), 'oled-5x7-extra.bdf'), 'utf8'), 'oled-5x7-extra.bdf');
    for (const [ch, g] of extra.glyphs) if (!base.glyphs.has(ch)) base.glyphs.set(ch, g);
    small = base;
  }
  return small;
}

export function largeDigits(): BitmapFont {
  large ??= parseBdf(fs.readFileSync(path.join(fontsDir(), 'pi-digits-8x14.bdf'), 'utf8'), 'pi-digits-8x14.bdf');
  return large;
}

export function textWidth(font: BitmapFont, text: string): number {
  let w = 0;
  for (const ch of text) w += (font.glyphs.get(ch) ?? font.glyphs.get('?'))?.advance ?? 0;
  return w;
}
