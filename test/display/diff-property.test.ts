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

describe('the diff\'s choices: what it sends for a given change', () => {
  const W = 128;
  const frame = (pages: number, set: [number, number][]): Uint8Array => {
    const b = new Uint8Array(W * pages);
    for (const [p, c] of set) b[p * W + c] = 0xff;
    return b;
  };
  const ssd = (next: Uint8Array, shadow: Uint8Array | null, pages = 8) => changedWindows(next, shadow, W, pages, 9, true);
  const sh = (next: Uint8Array, shadow: Uint8Array | null) => changedWindows(next, shadow, W, 8, 3, false);

  it('unknown glass: the whole RAM in one SSD1306 window, one run per page on the SH1106', () => {
    expect(ssd(new Uint8Array(W * 8), null)).to.deep.equal([{ p0: 0, p1: 7, c0: 0, c1: 127 }]);
    expect(ssd(new Uint8Array(W * 4), null, 4)).to.deep.equal([{ p0: 0, p1: 3, c0: 0, c1: 127 }]);
    expect(sh(new Uint8Array(W * 8), null)).to.deep.equal(Array.from({ length: 8 }, (_, p) => ({ p0: p, p1: p, c0: 0, c1: 127 })));
    expect(ssd(new Uint8Array(W * 8), new Uint8Array(W * 8))).to.deep.equal([]);
  });

  it('bridges a gap of up to 9 unchanged bytes in a page (SSD1306), 3 (SH1106), and no more', () => {
    const blank = new Uint8Array(W * 8);
    expect(ssd(frame(8, [[2, 10], [2, 20]]), blank)).to.deep.equal([{ p0: 2, p1: 2, c0: 10, c1: 20 }]);
    expect(ssd(frame(8, [[2, 10], [2, 21]]), blank)).to.deep.equal([{ p0: 2, p1: 2, c0: 10, c1: 10 }, { p0: 2, p1: 2, c0: 21, c1: 21 }]);
    expect(sh(frame(8, [[2, 10], [2, 14]]), blank)).to.deep.equal([{ p0: 2, p1: 2, c0: 10, c1: 14 }]);
    expect(sh(frame(8, [[2, 10], [2, 15]]), blank)).to.deep.equal([{ p0: 2, p1: 2, c0: 10, c1: 10 }, { p0: 2, p1: 2, c0: 15, c1: 15 }]);
    expect(sh(frame(8, [[0, 0], [0, 127]]), blank)).to.deep.equal([{ p0: 0, p1: 0, c0: 0, c1: 0 }, { p0: 0, p1: 0, c0: 127, c1: 127 }]);
  });

  it('merges runs on adjacent pages into one window when that costs no more bytes, never pages apart', () => {
    const blank = new Uint8Array(W * 8);
    const run = (p: number, c0: number, c1: number): [number, number][] => Array.from({ length: c1 - c0 + 1 }, (_, i) => [p, c0 + i]);
    // 10 + 10 bytes apart (40 with overhead) or 10 + 2·15 = 40 merged: a tie merges.
    expect(ssd(frame(8, [...run(0, 0, 9), ...run(1, 5, 14)]), blank)).to.deep.equal([{ p0: 0, p1: 1, c0: 0, c1: 14 }]);
    // One column wider and the merged window costs more: two windows.
    expect(ssd(frame(8, [...run(0, 0, 9), ...run(1, 6, 15)]), blank)).to.deep.equal([{ p0: 0, p1: 0, c0: 0, c1: 9 }, { p0: 1, p1: 1, c0: 6, c1: 15 }]);
    // Pages 0 and 2 are not adjacent.
    expect(ssd(frame(8, [...run(0, 0, 9), ...run(2, 0, 9)]), blank)).to.deep.equal([{ p0: 0, p1: 0, c0: 0, c1: 9 }, { p0: 2, p1: 2, c0: 0, c1: 9 }]);
    // A chain over three pages, and the best of two windows above is the one extended.
    expect(ssd(frame(8, [...run(3, 4, 9), ...run(4, 4, 9), ...run(5, 4, 9)]), blank)).to.deep.equal([{ p0: 3, p1: 5, c0: 4, c1: 9 }]);
    expect(ssd(frame(8, [...run(0, 0, 3), ...run(0, 60, 69), ...run(1, 61, 70)]), blank))
      .to.deep.equal([{ p0: 0, p1: 0, c0: 0, c1: 3 }, { p0: 0, p1: 1, c0: 60, c1: 70 }]);
    // The SH1106 writes one page at a time.
    expect(sh(frame(8, [...run(0, 0, 9), ...run(1, 0, 9)]), blank)).to.have.length(2);
  });

  it('hd44780: rewrites an unchanged cell between two changes rather than set the address again, but not two', async () => {
    const spec = parseDisplaySpec('hd44780:bus=1,cols=20,rows=4') as Hd44780Spec;
    const factory = new FakeBusFactory();
    const lcd = new LcdEmulator(20, 4);
    factory.bus(1).attach(spec.address, lcd);
    const driver = new LcdDriver(spec, factory.open, async () => undefined);
    await driver.init();
    const cells = new Uint8Array(80).fill(0x20);
    await driver.draw({ kind: 'char', chars: new CharFrame(20, 4, cells.slice()) });
    const writes = (): number => lcd.dataWrites;
    const instructions = (): number => lcd.instructions.length;
    let w = writes(), i = instructions();
    cells[5] = 0x41; cells[7] = 0x42; // one unchanged cell between
    await driver.draw({ kind: 'char', chars: new CharFrame(20, 4, cells.slice()) });
    expect([writes() - w, instructions() - i]).to.deep.equal([3, 1]);
    w = writes(); i = instructions();
    cells[25] = 0x41; cells[28] = 0x42; // two unchanged cells between
    await driver.draw({ kind: 'char', chars: new CharFrame(20, 4, cells.slice()) });
    expect([writes() - w, instructions() - i]).to.deep.equal([2, 2]);
    w = writes(); i = instructions();
    cells[45] = 0x41; cells[47] = 0x42; // the bridge on a lower row too
    await driver.draw({ kind: 'char', chars: new CharFrame(20, 4, cells.slice()) });
    expect([writes() - w, instructions() - i]).to.deep.equal([3, 1]);
    w = writes(); i = instructions();
    cells[19] = 0x43; cells[20] = 0x44; // the end of one row and the start of the next: two addresses
    await driver.draw({ kind: 'char', chars: new CharFrame(20, 4, cells.slice()) });
    expect([writes() - w, instructions() - i]).to.deep.equal([2, 2]);
    w = writes(); i = instructions();
    const transactions = factory.bus(1).log.length;
    await driver.draw({ kind: 'char', chars: new CharFrame(20, 4, cells.slice()) });
    expect([writes() - w, instructions() - i]).to.deep.equal([0, 0]);
    expect(factory.bus(1).log.length, 'no empty transaction for an unchanged frame').to.equal(transactions);
    let wrong: Error | undefined;
    await driver.draw({ kind: 'pixel', canvas: new Canvas(128, 64) }).catch((e: Error) => { wrong = e; });
    expect(wrong?.message).to.equal('an HD44780 draws character frames');
  });

  it('an OLED refuses a character frame', async () => {
    const spec = parseDisplaySpec('ssd1306:bus=1,height=64,shift=off') as OledSpec;
    const factory = new FakeBusFactory();
    factory.bus(1).attach(spec.address, new OledEmulator('ssd1306', 64));
    const driver = new OledDriver(spec, factory.open);
    await driver.init();
    let wrong: Error | undefined;
    await driver.draw({ kind: 'char', chars: new CharFrame(20, 4) }).catch((e: Error) => { wrong = e; });
    expect(wrong?.message).to.equal('an OLED draws pixel frames');
  });

  it('ssd1306: one command write and one data write per window, each byte of the window once', async () => {
    const spec = parseDisplaySpec('ssd1306:bus=1,height=64,shift=off') as OledSpec;
    const factory = new FakeBusFactory();
    const bus = factory.bus(1);
    bus.attach(spec.address, new OledEmulator('ssd1306', 64));
    const driver = new OledDriver(spec, factory.open);
    await driver.init();
    const buf = new Uint8Array(W * 8);
    await driver.draw({ kind: 'pixel', canvas: new Canvas(128, 64, buf.slice()) });
    const from = bus.log.length;
    buf[3 * W + 10] = 1; buf[3 * W + 20] = 1;
    await driver.draw({ kind: 'pixel', canvas: new Canvas(128, 64, buf.slice()) });
    const tx = bus.log.slice(from).map((t) => [...t.bytes]);
    expect(tx).to.deep.equal([[0x00, 0x21, 10, 20, 0x22, 3, 3], [0x40, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]);
  });

  it('sh1106: page, column nibbles and data in one transaction per run, at the module\'s column offset', async () => {
    const spec = parseDisplaySpec('sh1106:bus=1,offset=2,shift=off') as OledSpec;
    const factory = new FakeBusFactory();
    const bus = factory.bus(1);
    bus.attach(spec.address, new OledEmulator('sh1106', 64, { offset: 2 }));
    const driver = new OledDriver(spec, factory.open);
    await driver.init();
    const buf = new Uint8Array(W * 8);
    await driver.draw({ kind: 'pixel', canvas: new Canvas(128, 64, buf.slice()) });
    const from = bus.log.length;
    buf[5 * W + 30] = 7;
    await driver.draw({ kind: 'pixel', canvas: new Canvas(128, 64, buf.slice()) });
    expect(bus.log.slice(from).map((t) => [...t.bytes])).to.deep.equal([[0x80, 0xb5, 0x80, 0x00, 0x80, 0x12, 0x40, 7]]);
  });
});
