// The png and terminal panel drivers, and the README screenshots they produce.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { PNG } from 'pngjs';
import { createDisplay, parseDisplaySpec } from '../../src/display';
import { PanelDisplay } from '../../src/display/panel-display';
import { MemoryLogger, silentLogger } from '../../src/common/logger';
import { DisplayModel } from '../../src/display/model';
import { PageName, PanelSize } from '../../src/display/spec';
import { CaptureStream, clusterModel, idleModel, longDigitsModel, pi5ClusterModel, piZeroModel, waitFor } from './fixtures';
import { GOLDEN_DIR } from './harness';
import { VirtualTerminal } from './vt';
import { rasterToPng } from '../../src/display/raster';
import { PngDriver } from '../../src/display/png-driver';
import { Canvas } from '../../src/display/canvas';

async function pngOf(size: PanelSize, page: PageName, model: DisplayModel, file: string): Promise<Buffer> {
  const d = createDisplay(parseDisplaySpec(`png:${file},size=${size},pages=${page}`), { logger: silentLogger, refreshMs: 0 }) as PanelDisplay;
  d.show(model);
  await d.settled();
  const png = fs.readFileSync(file);
  await d.close('blank');
  return png;
}

describe('png and terminal panel drivers', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-png-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a frame only when its pixels change, and again after a failed write or a re-init', async () => {
    const file = path.join(dir, 'changes.png');
    const spec = parseDisplaySpec(`png:${file},size=128x64`);
    if (spec.kind !== 'png') throw new Error('not a png spec');
    const d = new PngDriver(spec);
    await d.init();
    const a = new Canvas(128, 64);
    a.set(3, 4, true);
    await d.draw({ kind: 'pixel', canvas: a });
    await d.draw({ kind: 'pixel', canvas: a });
    expect(d.writes).to.equal(1);
    const b = new Canvas(128, 64);
    b.set(5, 6, true);
    await d.draw({ kind: 'pixel', canvas: b });
    expect(d.writes).to.equal(2);
    await d.init();
    await d.draw({ kind: 'pixel', canvas: b });
    expect(d.writes, 'a re-init (SIGHUP, a fault) writes the frame again').to.equal(3);
    // Its directory gone, the write fails; the same frame is written once the directory is back.
    const away = path.join(dir, 'away');
    fs.mkdirSync(away);
    const spec2 = parseDisplaySpec(`png:${path.join(away, 'p.png')},size=128x64`);
    if (spec2.kind !== 'png') throw new Error('not a png spec');
    const e = new PngDriver(spec2);
    await e.init();
    fs.rmSync(away, { recursive: true });
    let failed = false;
    await e.draw({ kind: 'pixel', canvas: a }).catch(() => { failed = true; });
    expect(failed).to.equal(true);
    fs.mkdirSync(away);
    await e.draw({ kind: 'pixel', canvas: a });
    expect(e.writes).to.equal(1);
    expect(fs.existsSync(path.join(away, 'p.png'))).to.equal(true);
  });

  it('encodes each frame whole though the image is reused between frames of one size (nothing of the last frame shows through)', () => {
    const raster = (on: (x: number, y: number) => boolean) => {
      const px = new Uint8Array(128 * 64);
      for (let y = 0; y < 64; y++) for (let x = 0; x < 128; x++) px[y * 128 + x] = on(x, y) ? 1 : 0;
      return { width: 128, height: 64, px, lcd: false };
    };
    const a = raster((x, y) => (x + y) % 3 === 0);
    const b = raster((x) => x < 64);
    const first = rasterToPng(a, 4);
    const other = rasterToPng(b, 4);
    expect(rasterToPng(a, 4).equals(first)).to.equal(true);
    // The other frame decodes to its own pixels: lit left half, dark right half.
    const img = PNG.sync.read(other);
    const lit = (x: number, y: number) => img.data[(y * img.width + x) * 4 + 1] > 100;
    expect([lit(10, 10), lit(300, 10), lit(10, 200), lit(500, 250)]).to.deep.equal([true, false, true, false]);
  });

  it('writes the frame as a PNG whose pixels are the golden glass', async () => {
    const file = path.join(dir, 'frame.png');
    const d = createDisplay(parseDisplaySpec(`png:${file},size=128x64,pages=cluster,scale=3`), { logger: silentLogger, refreshMs: 0 }) as PanelDisplay;
    d.show(clusterModel());
    await d.settled();
    const png = PNG.sync.read(fs.readFileSync(file));
    expect([png.width, png.height]).to.deep.equal([384, 192]);
    const golden = fs.readFileSync(path.join(GOLDEN_DIR, '128x64-cluster.txt'), 'utf8').trimEnd().split('\n');
    let mismatches = 0;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 128; x++) {
      const lit = png.data[((y * 3 + 1) * png.width + x * 3 + 1) * 4 + 2] > 128;
      if (lit !== (golden[y][x] === '#')) mismatches++;
    }
    expect(mismatches).to.equal(0);
    // Unchanged frame: the file is not rewritten.
    const mtime = fs.statSync(file).mtimeMs;
    fs.utimesSync(file, new Date(0), new Date(0));
    d.show(clusterModel());
    await d.settled();
    expect(fs.statSync(file).mtimeMs).to.equal(0);
    expect(mtime).to.be.greaterThan(0);
    await d.close('stopped');
    expect(fs.statSync(file).mtimeMs).to.be.greaterThan(0); // the stopped frame was written
  });

  it('logs and survives an unwritable path', async () => {
    const lines: string[] = [];
    const logger = { ...silentLogger, error: (m: string) => { lines.push(m); } };
    const d = createDisplay(parseDisplaySpec('png:/nonexistent-dir/x.png'), { logger, refreshMs: 0 }) as PanelDisplay;
    expect(() => d.show(clusterModel())).to.not.throw();
    await d.settled();
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/cannot write \/nonexistent-dir\/x\.png \(ENOENT\): check that \/nonexistent-dir exists; .*ProtectHome=yes hides \/home.*\/var\/lib\/pi-mesos/);
    await d.close('stopped');
  });

  it('a missing directory is reported once and retried with backoff like a panel, and its return once', async () => {
    // Issue 11: every attempt used to count as a recovery (the png init cannot fail), so the
    // backoff never grew and each second logged "re-initialised" and the error again.
    const logger = new MemoryLogger();
    const missing = path.join(dir, 'later');
    const file = path.join(missing, 'x.png');
    const d = createDisplay(parseDisplaySpec(`png:${file}`), { logger, refreshMs: 0 }) as PanelDisplay;
    Object.assign((d as unknown as { opts: object }).opts, { backoffMs: 1, maxBackoffMs: 8 });
    d.show(clusterModel());
    await waitFor(() => d.busErrors >= 8, 10_000, 'eight failed writes');
    expect(logger.lines.filter((l) => l.level === 'notice'), 'no recovery while every write fails').to.deep.equal([]);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).to.have.length(1);
    expect(errors[0].msg).to.match(/png 128x64 at .*later\/x\.png: .*\(ENOENT\): check that .*later exists; .*retrying with backoff/);
    const delays = logger.lines.filter((l) => l.level === 'debug').map((l) => Number(/retry in (\d+)ms/.exec(l.msg)?.[1]));
    expect(delays.slice(0, 5)).to.deep.equal([2, 4, 8, 8, 8]);
    fs.mkdirSync(missing);
    await waitFor(() => fs.existsSync(file), 10_000, 'the png once its directory exists');
    await waitFor(() => logger.lines.some((l) => l.level === 'notice'), 10_000, 'the recovery notice');
    const notices = logger.lines.filter((l) => l.level === 'notice');
    expect(notices).to.have.length(1);
    expect(notices[0].msg).to.match(/png 128x64 at .*answers again after \d+ failed attempt/);
    expect(d.failing).to.equal(false);
    await d.close('stopped');
  });

  const SHOTS: [PanelSize, PageName, string, () => DisplayModel][] = [];
  for (const size of ['128x64', '128x32', '20x4', '16x2'] as PanelSize[]) {
    SHOTS.push([size, 'cluster', 'cluster', clusterModel], [size, 'cluster', 'cluster-pizero', piZeroModel], [size, 'cluster', 'cluster-20pi5', pi5ClusterModel], [size, 'pi', 'pi', clusterModel], [size, 'pi', 'pi-long', longDigitsModel], [size, 'framework', 'framework', clusterModel], [size, 'framework', 'framework-idle', idleModel]);
  }
  it('the README screenshots are what the png driver renders now (UPDATE_GOLDEN=1 regenerates)', async () => {
    for (const [size, page, name, model] of SHOTS) {
      const shot = path.join(GOLDEN_DIR, 'png', `${size}-${name}.png`);
      const fresh = await pngOf(size, page, model(), path.join(dir, `${size}-${name}.png`));
      if (process.env.UPDATE_GOLDEN === '1') {
        fs.mkdirSync(path.dirname(shot), { recursive: true });
        fs.writeFileSync(shot, fresh);
      }
      expect(fs.existsSync(shot), `${shot} missing`).to.equal(true);
      expect(fs.readFileSync(shot).equals(fresh), `${shot} is stale`).to.equal(true);
    }
  });

  it('terminal:size=128x32 draws the glass in half blocks, in place, only on change', async () => {
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal:size=128x32,pages=pi'), { logger: silentLogger, out, refreshMs: 0 }) as PanelDisplay;
    d.show(clusterModel());
    await d.settled();
    d.show(clusterModel());
    await d.settled();
    expect(out.chunks).to.have.length(1);
    const lines = out.chunks[0].replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, '').split('\n');
    expect(lines[0]).to.equal('+' + '-'.repeat(128) + '+');
    expect(lines).to.have.length(16 + 2 + 1);
    expect(out.chunks[0]).to.match(/[▀▄█]/);
    await d.close('blank');
  });

  it('terminal:size=20x4 draws the LCD characters', async () => {
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal:size=20x4,pages=pi'), { logger: silentLogger, out, refreshMs: 0 }) as PanelDisplay;
    d.show(clusterModel());
    await d.settled();
    const text = out.chunks[0].replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(text).to.include('|3.1415926~535       |');
    expect(text).to.include('|terms/s        48.2M|');
    await d.close('blank');
  });

  it('onStop overrides what close() shows', async () => {
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out, refreshMs: 0, onStop: 'blank' });
    d.show(clusterModel());
    await d.close('stopped');
    expect(out.chunks[out.chunks.length - 1]).to.match(/^\x1b\[\d+F\x1b\[J$/); // up over the view, erased
  });

  // Issue 11, point 16.
  it('a panel larger than the terminal says so instead of wrapping into garbage, and draws once it fits', async () => {
    const vt = new VirtualTerminal(80, 24);
    const out = vt.stream();
    const d = createDisplay(parseDisplaySpec('terminal:size=128x64,pages=pi'), { logger: silentLogger, out, logs: vt.stream(), refreshMs: 0 }) as PanelDisplay;
    d.show(clusterModel());
    await d.settled();
    const text = vt.lines().join('\n');
    expect(text).to.not.match(/[▀▄█]/);
    expect(text.replace(/\n/g, ' ')).to.include('the 128x64 panel needs a terminal of 130 columns and 35 rows; this one has 80x24.');
    expect(vt.lines().every((l) => l.length <= 80)).to.equal(true);
    await d.close('blank');

    const big = new VirtualTerminal(130, 35);
    const e = createDisplay(parseDisplaySpec('terminal:size=128x64,pages=pi'), { logger: silentLogger, out: big.stream(), logs: big.stream(), refreshMs: 0 }) as PanelDisplay;
    e.show(clusterModel());
    await e.settled();
    expect(big.lines()[0]).to.equal('+' + '-'.repeat(128) + '+');
    expect(big.lines()).to.have.length(34);
    await e.close('stopped');
  });

  it('terminal:size= keeps log lines on the same terminal above the glass', async () => {
    const vt = new VirtualTerminal(40, 20);
    const logs = vt.stream();
    const d = createDisplay(parseDisplaySpec('terminal:size=20x4,pages=pi'), { logger: silentLogger, out: vt.stream(), logs, refreshMs: 0 }) as PanelDisplay;
    d.show(clusterModel());
    await d.settled();
    logs.write('WARN a log line\n');
    const m = clusterModel();
    m.pi.termsPerSecond *= 2;
    d.show(m);
    await d.settled();
    await d.close('stopped');
    const lines = vt.lines();
    expect(lines.filter((l) => l === 'WARN a log line')).to.have.length(1);
    expect(lines.filter((l) => l.startsWith('+---'))).to.have.length(2); // one glass, below the log
    expect(lines.indexOf('WARN a log line')).to.equal(0);
  });
});
