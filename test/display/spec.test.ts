import { expect } from 'chai';
import { parseDisplaySpec, parseDimSchedule } from '../../src/display';
import { isDim } from '../../src/display/dim';

describe('display spec parsing', () => {
  it('parses the simple kinds', () => {
    expect(parseDisplaySpec('terminal')).to.deep.equal({ kind: 'terminal', size: null, pages: ['cluster', 'pi', 'framework'] });
    expect(parseDisplaySpec('none')).to.deep.equal({ kind: 'none' });
    expect(parseDisplaySpec('png:/tmp/x.png')).to.include({ kind: 'png', path: '/tmp/x.png', size: '128x64', scale: 4 });
    expect(parseDisplaySpec('png:/tmp/x.png,size=20x4')).to.include({ path: '/tmp/x.png', size: '20x4' });
    expect(parseDisplaySpec('png:path=/tmp/y.png,scale=2')).to.include({ path: '/tmp/y.png', scale: 2 });
    expect(parseDisplaySpec('terminal:size=16x2,pages=pi')).to.deep.equal({ kind: 'terminal', size: '16x2', pages: ['pi'] });
  });

  it('parses an SSD1306 with every option', () => {
    expect(parseDisplaySpec('ssd1306:bus=1,address=0x3c,height=64,rotate=180,contrast=200')).to.deep.include({
      kind: 'ssd1306', bus: 1, address: 0x3c, height: 64, width: 128, rotate: 180, contrast: 200, columnOffset: 0, shift: true,
    });
    expect(parseDisplaySpec('ssd1306:height=32,address=61,shift=off')).to.deep.include({ height: 32, address: 0x3d, shift: false });
  });

  it('gives the SH1106 its 2-column offset and the HD44780 its defaults', () => {
    expect(parseDisplaySpec('sh1106:bus=3')).to.deep.include({ kind: 'sh1106', bus: 3, address: 0x3c, height: 64, columnOffset: 2 });
    const lcd = parseDisplaySpec('hd44780:cols=20,rows=4,address=0x27');
    expect(lcd).to.deep.include({ kind: 'hd44780', cols: 20, rows: 4, address: 0x27, backlight: true });
    expect(parseDisplaySpec('hd44780:cols=16')).to.deep.include({ cols: 16, rows: 2 });
    expect(parseDisplaySpec('hd44780:pins=45601237')).to.deep.include({ pins: { rs: 4, rw: 5, e: 6, backlight: 0, d4: 1, d5: 2, d6: 3, d7: 7 } });
  });

  const bad: [string, RegExp][] = [
    ['oled', /unknown kind "oled".*allowed: terminal, png, none, ssd1306, sh1106, hd44780/],
    ['ssd1306:height=48', /height="48".*64 \| 32/],
    ['sh1106:height=32', /height="32".*allowed: 64/],
    ['ssd1306:rotate=90', /rotate="90".*0 \| 180/],
    ['ssd1306:contrast=300', /contrast="300".*0\.\.255/],
    ['ssd1306:address=0x99', /address="0x99".*0x3\.\.0x77/],
    ['ssd1306:bus=x', /bus="x".*integer/],
    ['ssd1306:colour=red', /unknown option "colour".*allowed keys: bus, address/],
    ['ssd1306:bus', /"bus" is not KEY=VALUE/],
    ['hd44780:cols=20,rows=2', /rows="2".*cols=20,rows=4 or cols=16,rows=2/],
    ['hd44780:pins=0123456', /pins="0123456".*eight distinct digits/],
    ['png:', /no file path/],
    ['png:/x.png,size=64x64', /size="64x64".*128x64 \| 128x32 \| 20x4 \| 16x2/],
    ['terminal:pages=pi+foo', /pages="pi\+foo".*cluster, pi, framework/],
    ['none:x=1', /unknown option "x"/],
    // The column offset is the SH1106's (132-column RAM): an SSD1306 neither lists nor takes it.
    ['ssd1306:offset=2', /unknown option "offset" \(="2"\); allowed keys: bus, address, height, rotate, contrast, shift, refresh, pages$/],
    ['sh1106:offset=9', /offset="9".*an integer in 0\.\.4/],
  ];
  for (const [text, re] of bad) {
    it(`rejects ${JSON.stringify(text)} naming the option, value and what is allowed`, () => {
      expect(() => parseDisplaySpec(text)).to.throw(re);
    });
  }
});

describe('dim schedule', () => {
  it('parses ranges and tells dim time across midnight', () => {
    const s = parseDimSchedule('22:00-07:00');
    expect(s).to.include({ startMin: 22 * 60, endMin: 7 * 60 });
    const at = (h: number, m: number) => new Date(2024, 0, 1, h, m);
    expect(isDim(s, at(23, 30))).to.equal(true);
    expect(isDim(s, at(6, 59))).to.equal(true);
    expect(isDim(s, at(7, 0))).to.equal(false);
    expect(isDim(s, at(12, 0))).to.equal(false);
    const day = parseDimSchedule('9:30-17:00');
    expect(isDim(day, at(10, 0))).to.equal(true);
    expect(isDim(day, at(18, 0))).to.equal(false);
    expect(isDim(null, at(23, 0))).to.equal(false);
  });

  for (const bad of ['22-07', '25:00-07:00', '22:61-07:00', '07:00-07:00', '', 'night']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      expect(() => parseDimSchedule(bad)).to.throw(/dim: .*expected HH:MM-HH:MM/);
    });
  }
});
