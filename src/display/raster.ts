// Frames as pixel grids for the PNG and terminal drivers: pixel frames as they are, character
// frames as an LCD shows them (5x8 cells on a 6x9 pitch, the unlit cell matrix faintly visible).
import type { PNG as PngType } from 'pngjs';

/** Loaded on first use: a daemon that never draws a PNG does not carry the encoder (~5 MB RSS). */
let pngModule: { PNG: typeof PngType } | undefined;
function pngjs(): { PNG: typeof PngType } {
  pngModule ??= require('pngjs') as { PNG: typeof PngType };
  return pngModule;
}
import { CGRAM_GLYPHS, CharFrame } from './char-frame';
import { smallFont } from './fonts';
import { Frame } from './screens';

/** 0 = background, 1 = lit, 2 = unlit LCD dot. */
export interface Raster { width: number; height: number; px: Uint8Array; lcd: boolean }

export function charGlyphRows(code: number): number[] {
  if (code < 16) return CGRAM_GLYPHS[code & 7];
  // 0x7E is the A00 ROM's right arrow (HD44780U datasheet, character table), the cut mark; the
  // font's '~' there would read as "uncertain digits follow".
  if (code === 0x7e) return ROM_RIGHT_ARROW;
  const g = smallFont().glyphs.get(String.fromCharCode(code)) ?? smallFont().glyphs.get('?')!;
  return [...g.rows.map((r) => r & 0x1f), 0];
}

/** The A00 ROM glyph at 0x7E, 5x8, top row first. */
const ROM_RIGHT_ARROW = [0x00, 0x04, 0x02, 0x1f, 0x02, 0x04, 0x00, 0x00];

export function rasterize(frame: Frame): Raster {
  if (frame.kind === 'pixel') {
    const c = frame.canvas;
    const px = new Uint8Array(c.width * c.height);
    for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) px[y * c.width + x] = c.get(x, y) ? 1 : 0;
    return { width: c.width, height: c.height, px, lcd: false };
  }
  return rasterizeChars(frame.chars);
}

function rasterizeChars(f: CharFrame): Raster {
  const width = f.cols * 6 + 3;
  const height = f.rows * 9 + 3;
  const px = new Uint8Array(width * height);
  for (let r = 0; r < f.rows; r++) {
    for (let c = 0; c < f.cols; c++) {
      const rows = charGlyphRows(f.cells[r * f.cols + c]);
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 5; x++) {
          const on = (rows[y] >> (4 - x)) & 1;
          px[(2 + r * 9 + y) * width + 2 + c * 6 + x] = on ? 1 : 2;
        }
      }
    }
  }
  return { width, height, px, lcd: true };
}

const OLED_COLOURS: [number, number, number][] = [[0, 0, 0], [120, 210, 255], [0, 0, 0]];
const LCD_COLOURS: [number, number, number][] = [[40, 70, 200], [235, 240, 255], [52, 84, 214]];

/**
 * One pngjs image per size, reused by every frame: a new PNG object per frame (one a second for
 * the png display, more for the web page) held the daemon's anonymous RSS at about 45 MB instead
 * of 10 (measured: 60 frames of 512x256, Node 20), though every pixel is rewritten below.
 */
const pngBySize = new Map<string, PngType>();

export function rasterToPng(r: Raster, scale: number): Buffer {
  const { PNG } = pngjs();
  const key = `${r.width * scale}x${r.height * scale}`;
  let png = pngBySize.get(key);
  if (!png) {
    // A size no longer drawn (a panel changed by SIGHUP) is let go.
    if (pngBySize.size >= 4) pngBySize.clear();
    png = new PNG({ width: r.width * scale, height: r.height * scale });
    pngBySize.set(key, png);
  }
  const colours = r.lcd ? LCD_COLOURS : OLED_COLOURS;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const v = r.px[Math.floor(y / scale) * r.width + Math.floor(x / scale)];
      // A one-pixel gap between scaled dots reads as a panel rather than a blurry image.
      const gap = scale >= 3 && (x % scale === scale - 1 || y % scale === scale - 1);
      const [red, green, blue] = gap && v !== 1 ? colours[0] : gap ? colours[1].map((k) => Math.round(k * 0.8)) as [number, number, number] : colours[v];
      const o = (y * png.width + x) * 4;
      png.data[o] = red; png.data[o + 1] = green; png.data[o + 2] = blue; png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Half-block text: two pixel rows per line. */
export function rasterToBlocks(r: Raster): string[] {
  const lines: string[] = [];
  const on = (x: number, y: number) => y < r.height && r.px[y * r.width + x] === 1;
  for (let y = 0; y < r.height; y += 2) {
    let l = '';
    for (let x = 0; x < r.width; x++) {
      const top = on(x, y);
      const bottom = on(x, y + 1);
      l += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(l);
  }
  return lines;
}
