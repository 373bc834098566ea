// The drivers' diff as a property: on every emulated panel, random sequences of frames (sparse
// pixels, runs, blocks across pages, whole new pictures, no change at all) are drawn one after
// another, and after each draw the glass equals the frame, whatever the diff chose to send. A
// wrong window merge, a run cut short or a shadow updated for bytes never sent shows up as a glass
// that differs, with the seed and step to reproduce it.
import { expect } from 'chai';
import { Canvas } from '../../src/display/canvas';
import { CharFrame } from '../../src/display/char-frame';
import { LcdDriver } from '../../src/display/lcd-driver';
import { changedWindows, OledDriver } from '../../src/display/oled-driver';
import { Hd44780Spec, OledSpec, parseDisplaySpec } from '../../src/display/spec';
import { FakeBusFactory, LcdEmulator, OledEmulator } from '../support/panels';
import { seededRandom } from '../support/random';

const STEPS = 60;
const SEEDS = [1, 2, 3, 4, 5];

/** The next frame from the last: one of several kinds of change, so runs, gaps and merges all occur. */
function mutatePixels(prev: Uint8Array, width: number, pages: number, rnd: () => number): Uint8Array {
  const next = prev.slice();
  const pick = (n: number): number => Math.floor(rnd() * n);
  switch (pick(7)) {
    case 0: break; // nothing changed
    case 1: for (let k = 1 + pick(5); k > 0; k--) next[pick(next.length)] ^= 1 << pick(8); break; // a few pixels
    case 2: { // a run on one page with holes
      const p = pick(pages), c0 = pick(width), len = 1 + pick(width - c0);
      for (let c = c0; c < c0 + len; c++) if (rnd() < 0.7) next[p * width + c] = pick(256);
      break;
    }
    case 3: { // a block over several pages (window merges across pages)
      const p0 = pick(pages), p1 = p0 + pick(pages - p0), c0 = pick(width), c1 = c0 + pick(width - c0);
      for (let p = p0; p <= p1; p++) for (let c = c0; c <= c1; c++) next[p * width + c] = pick(256);
      break;
    }
    case 4: { // staggered runs on adjacent pages, offset left and right
      const p0 = pick(pages - 1);
      for (let p = p0; p < Math.min(pages, p0 + 1 + pick(3)); p++) {
        const c0 = pick(width), len = 1 + pick(Math.min(20, width - c0));
        for (let c = c0; c < c0 + len; c++) next[p * width + c] ^= 0xff;
      }
      break;
    }
    case 5: for (let i = 0; i < next.length; i++) next[i] = pick(256); break; // a new picture
    default: { // gaps of every width between two changes on one page
      const p = pick(pages), c0 = pick(width - 1), gap = pick(Math.min(16, width - c0 - 1));
      next[p * width + c0] ^= 0x01;
      if (c0 + gap + 1 < width) next[p * width + c0 + gap + 1] ^= 0x80;
    }
  }
  return next;
}

const CELLS = [...Array.from({ length: 8 }, (_, i) => i), ...Array.from({ length: 0x7e - 0x20 }, (_, i) => 0x20 + i), 0xff];

function mutateCells(prev: Uint8Array, cols: number, rows: number, rnd: () => number): Uint8Array {
  const next = prev.slice();
  const pick = (n: number): number => Math.floor(rnd() * n);
  const cell = (): number => CELLS[pick(CELLS.length)];
  switch (pick(5)) {
    case 0: break;
    case 1: for (let k = 1 + pick(4); k > 0; k--) next[pick(next.length)] = cell(); break;
    case 2: { const r = pick(rows), c0 = pick(cols); for (let c = c0; c < cols; c += 1 + pick(3)) next[r * cols + c] = cell(); break; }
    case 3: for (let i = 0; i < next.length; i++) next[i] = cell(); break;
    default: { const r = pick(rows), c0 = pick(cols - 1), gap = pick(cols - c0 - 1); next[r * cols + c0] = cell(); next[r * cols + c0 + gap + 1] = cell(); }
  }
  return next;
}

function rotated(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.reverse().map((l) => [...l].reverse().join('')).join('\n') + '\n';
}

describe('display diff as a property: after every draw the glass equals the frame', () => {
  const oleds: [string, string][] = [
    ['ssd1306 128x64', 'ssd1306:bus=1,height=64,shift=off'],
    ['ssd1306 128x32', 'ssd1306:bus=1,height=32,shift=off'],
    ['ssd1306 128x64 rotated', 'ssd1306:bus=1,height=64,rotate=180,shift=off'],
    ['sh1106 128x64 offset 2', 'sh1106:bus=1,shift=off'],
    ['sh1106 128x64 offset 0 rotated', 'sh1106:bus=1,offset=0,rotate=180,shift=off'],
    ['sh1106 128x64 offset 4', 'sh1106:bus=1,offset=4,shift=off'],
  ];
  for (const [name, text] of oleds) {
    it(name, async () => {
      const spec = parseDisplaySpec(text) as OledSpec;
      for (const seed of SEEDS) {
        const rnd = seededRandom(seed);
        const factory = new FakeBusFactory();
        const oled = new OledEmulator(spec.kind, spec.height, { offset: spec.columnOffset });
        factory.bus(1).attach(spec.address, oled);
        const driver = new OledDriver(spec, factory.open);
        await driver.init();
        const pages = spec.height / 8;
        let buf: Uint8Array = new Uint8Array(128 * pages);
        for (let step = 0; step < STEPS; step++) {
          buf = mutatePixels(buf, 128, pages, rnd);
          const canvas = new Canvas(128, spec.height, buf.slice());
          await driver.draw({ kind: 'pixel', canvas });
          const want = spec.rotate === 180 ? rotated(canvas.toText()) : canvas.toText();
          expect(oled.glassText() === want, `seed ${seed}, step ${step}: the glass differs from the frame`).to.equal(true);
          expect(oled.errors, `seed ${seed}, step ${step}`).to.deep.equal([]);
        }
      }
    });
  }

  for (const [cols, rows] of [[20, 4], [16, 2]] as const) {
    it(`hd44780 ${cols}x${rows}`, async () => {
      const spec = parseDisplaySpec(`hd44780:bus=1,cols=${cols},rows=${rows}`) as Hd44780Spec;
      for (const seed of SEEDS) {
        const rnd = seededRandom(seed);
        const factory = new FakeBusFactory();
        const lcd = new LcdEmulator(cols, rows);
        factory.bus(1).attach(spec.address, lcd);
        const driver = new LcdDriver(spec, factory.open, async () => undefined);
        await driver.init();
        let cells: Uint8Array = new Uint8Array(cols * rows).fill(0x20);
        for (let step = 0; step < STEPS; step++) {
          cells = mutateCells(cells, cols, rows, rnd);
          await driver.draw({ kind: 'char', chars: new CharFrame(cols, rows, cells.slice()) });
          const glass = Array.from({ length: rows * cols }, (_, i) => lcd.code(Math.floor(i / cols), i % cols));
          expect(glass, `seed ${seed}, step ${step}`).to.deep.equal([...cells]);
          expect(lcd.configProblems(), `seed ${seed}, step ${step}`).to.deep.equal([]);
        }
      }
    });
  }

  it('changedWindows covers exactly the changed bytes and never overlaps itself (SSD1306 and SH1106 settings)', () => {
    const rnd = seededRandom(42);
    for (let trial = 0; trial < 400; trial++) {
      const pages = rnd() < 0.5 ? 8 : 4;
      const shadow = mutatePixels(new Uint8Array(128 * pages), 128, pages, rnd);
      const next = mutatePixels(shadow, 128, pages, rnd);
      for (const [gap, mergePages] of [[9, true], [3, false]] as const) {
        const covered = new Uint8Array(next.length);
        for (const w of changedWindows(next, shadow, 128, pages, gap, mergePages)) {
          expect(w.p0 <= w.p1 && w.c0 <= w.c1 && w.p1 < pages && w.c1 < 128, JSON.stringify(w)).to.equal(true);
          if (!mergePages) expect(w.p0).to.equal(w.p1);
          for (let p = w.p0; p <= w.p1; p++) for (let c = w.c0; c <= w.c1; c++) covered[p * 128 + c]++;
        }
        for (let i = 0; i < next.length; i++) {
          if (next[i] !== shadow[i]) expect(covered[i], `trial ${trial}: changed byte ${i} not sent`).to.equal(1);
          expect(covered[i], `trial ${trial}: byte ${i} sent twice`).to.be.at.most(1);
        }
      }
    }
  });
});
