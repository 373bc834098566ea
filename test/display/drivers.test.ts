// Driver behaviour on emulated panels: only changes go on the bus, in order, asynchronously;
// rotation, dim, burn-in shift, page cycling, stop frames, and SIGHUP re-initialisation.
import { expect } from 'chai';
import { renderPage } from '../../src/display/screens';
import { clusterModel } from './fixtures';
import { makeRig, waitFor } from './harness-wait';

function rotate180(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.reverse().map((l) => [...l].reverse().join('')).join('\n') + '\n';
}

function shiftText(text: string, dx: number, dy: number): string {
  const lines = text.trimEnd().split('\n');
  const w = lines[0].length;
  const out = lines.map(() => '.'.repeat(w).split(''));
  lines.forEach((l, y) => [...l].forEach((ch, x) => { if (ch === '#' && y + dy < lines.length && x + dx < w) out[y + dy][x + dx] = '#'; }));
  return out.map((r) => r.join('')).join('\n') + '\n';
}

describe('display drivers on emulated panels', () => {
  for (const kind of ['ssd1306-64', 'sh1106-64'] as const) {
    it(`${kind}: a digit change puts under a tenth of a full frame on the bus, and the glass matches`, async () => {
      const rig = makeRig(kind, { extra: 'pages=pi' });
      const m = clusterModel();
      rig.display.show(m);
      await rig.display.settled();
      const before = rig.bus.log.length;
      m.pi.termsDone += 12_345_678;
      m.pi.termsPerSecond = 47_900_000;
      rig.display.show(m);
      await rig.display.settled();
      const bytes = rig.bus.bytesSince(before);
      expect(bytes).to.be.greaterThan(0);
      expect(bytes).to.be.at.most(1034 / 10);
      const want = renderPage('pi', m, '128x64');
      expect(rig.glass()).to.equal(want.kind === 'pixel' ? want.canvas.toText() : '');
      // An unchanged model sends nothing at all.
      const n = rig.bus.log.length;
      rig.display.show(m);
      await rig.display.settled();
      expect(rig.bus.log.length).to.equal(n);
      await rig.display.close('stopped');
    });
  }

  it('hd44780: a digit change rewrites only the changed cells', async () => {
    const rig = makeRig('hd44780-20x4', { extra: 'pages=pi' });
    const m = clusterModel();
    rig.display.show(m);
    await rig.display.settled();
    const writes = rig.lcd!.dataWrites;
    m.pi.termsDone = 2_355_678_901; // "2.35G" -> "2.36G": one cell
    rig.display.show(m);
    await rig.display.settled();
    expect(rig.lcd!.dataWrites - writes).to.equal(1);
    expect(rig.glass().split('\n')[1]).to.equal('terms          2.36G');
    await rig.display.close('stopped');
  });

  it('hd44780: loads the bar glyphs into CGRAM and honours a remapped backpack', async () => {
    const pins = { rs: 6, rw: 5, e: 4, backlight: 7, d4: 0, d5: 1, d6: 2, d7: 3 };
    const rig = makeRig('hd44780-20x4', { extra: 'pages=cluster,pins=65470123', pins });
    rig.display.show(clusterModel());
    await rig.display.settled();
    expect(rig.problems()).to.deep.equal([]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((s) => rig.lcd!.describeGlyph(s)).join('')).to.equal('▏▎▍▋█▒_~');
    expect(rig.lcd!.backlight).to.equal(true);
    expect(rig.glass().split('\n')[0]).to.equal('CPU██▍▒     7.5+2/12');
    await rig.display.close('stopped');
  });

  it('never has two writes in flight, and show() returns while the bus is busy', async () => {
    const rig = makeRig('ssd1306-64', { extra: 'pages=cluster' });
    rig.bus.hold();
    const m = clusterModel();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) { m.pi.termsDone += i; m.cluster.cpusUsedByUs = (i % 12); rig.display.show(m); }
    expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(1000); // returned, not blocked on the held bus
    expect(rig.bus.log.length).to.equal(0);
    // Release whatever is held until the display is idle.
    const unhold = setInterval(() => rig.bus.release(), 1);
    await rig.display.settled();
    clearInterval(unhold);
    expect(rig.bus.maxInFlight).to.equal(1);
    const want = renderPage('cluster', m, '128x64');
    expect(rig.glass()).to.equal(want.kind === 'pixel' ? want.canvas.toText() : '');
    await rig.display.close('blank');
  });

  it('rotate=180 shows the same picture upside down on the glass', async () => {
    const up = makeRig('ssd1306-64', { extra: 'pages=pi' });
    const down = makeRig('ssd1306-64', { extra: 'pages=pi,rotate=180' });
    up.display.show(clusterModel());
    down.display.show(clusterModel());
    await up.display.settled();
    await down.display.settled();
    expect(down.problems()).to.deep.equal([]);
    expect(down.glass()).to.equal(rotate180(up.glass()));
    await up.display.close('blank');
    await down.display.close('blank');
  });

  it('shifts the image by a pixel every few minutes against burn-in', async () => {
    let now = new Date(2024, 0, 1, 12, 0, 0);
    const still = makeRig('ssd1306-64', { extra: 'pages=cluster' });
    const moving = makeRig('ssd1306-64', { extra: 'pages=cluster,shift=on', now: () => now });
    const period = 180_000;
    now = new Date(Math.ceil(now.getTime() / (4 * period)) * 4 * period + 2 * period); // phase 2: (1, 1)
    still.display.show(clusterModel());
    moving.display.show(clusterModel());
    await still.display.settled();
    await moving.display.settled();
    expect(moving.glass()).to.equal(shiftText(still.glass(), 1, 1));
    now = new Date(now.getTime() + 2 * period); // phase 0: back home
    moving.display.show(clusterModel());
    await moving.display.settled();
    expect(moving.glass()).to.equal(still.glass());
    await still.display.close('blank');
    await moving.display.close('blank');
  });

  it('dims the OLED (contrast) and the LCD (backlight) inside the dim window only', async () => {
    let now = new Date(2024, 0, 1, 23, 30);
    const oled = makeRig('ssd1306-64', { extra: 'pages=pi,contrast=200', dim: '22:00-07:00', now: () => now });
    const lcd = makeRig('hd44780-16x2', { extra: 'pages=pi', dim: '22:00-07:00', now: () => now });
    oled.display.show(clusterModel());
    lcd.display.show(clusterModel());
    await oled.display.settled();
    await lcd.display.settled();
    expect(oled.oled!.contrast).to.equal(1);
    expect(lcd.lcd!.backlight).to.equal(false);
    now = new Date(2024, 0, 2, 7, 1);
    const m = clusterModel();
    m.pi.termsDone++;
    oled.display.show(m);
    lcd.display.show(m);
    await oled.display.settled();
    await lcd.display.settled();
    expect(oled.oled!.contrast).to.equal(200);
    expect(lcd.lcd!.backlight).to.equal(true);
    await oled.display.close('blank');
    await lcd.display.close('blank');
  });

  it('cycles through the pages at the configured interval', async () => {
    const rig = makeRig('hd44780-20x4', { pageIntervalMs: 30 });
    const m = clusterModel();
    rig.display.show(m);
    const seen = new Set<string>();
    await waitFor(() => {
      const first = rig.glass().split('\n')[0];
      if (first.startsWith('CPU')) seen.add('cluster');
      if (first.startsWith('3.14')) seen.add('pi');
      if (first.startsWith('SUBSCRIBED')) seen.add('framework');
      return seen.size === 3;
    }, 10_000, 'all three pages');
    await rig.display.close('stopped');
  });

  it('shows a clear STOPPED frame on close, or blanks the panel', async () => {
    const a = makeRig('ssd1306-32', { extra: 'pages=pi' });
    a.display.show(clusterModel());
    await a.display.settled();
    await a.display.close('stopped');
    const stopped = renderPage('stopped', clusterModel(), '128x32');
    expect(a.glass()).to.equal(stopped.kind === 'pixel' ? stopped.canvas.toText() : '');
    const b = makeRig('ssd1306-64', { extra: 'pages=pi' });
    b.display.show(clusterModel());
    await b.display.settled();
    await b.display.close('blank');
    expect(b.oled!.displayOn).to.equal(false);
    expect(b.glass()).to.not.include('#');
    const c = makeRig('hd44780-16x2', { extra: 'pages=pi' });
    c.display.show(clusterModel());
    await c.display.settled();
    await c.display.close('blank');
    expect(c.lcd!.displayOn).to.equal(false);
    expect(c.lcd!.backlight).to.equal(false);
  });

  it('re-initialises the panel and redraws everything on reopen (SIGHUP)', async () => {
    const rig = makeRig('ssd1306-64', { extra: 'pages=pi' });
    rig.display.show(clusterModel());
    await rig.display.settled();
    // Someone power-cycled the panel: its RAM is garbage and it is switched off.
    rig.oled!.ram.forEach((p) => p.fill(0xff));
    rig.oled!.displayOn = false;
    await rig.display.reopen();
    await rig.display.settled();
    const want = renderPage('pi', clusterModel(), '128x64');
    expect(rig.oled!.displayOn).to.equal(true);
    expect(rig.glass()).to.equal(want.kind === 'pixel' ? want.canvas.toText() : '');
    await rig.display.close('blank');
  });
});
