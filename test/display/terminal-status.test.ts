import { expect } from 'chai';
import { createDisplay, parseDisplaySpec } from '../../src/display';
import { silentLogger } from '../../src/common/logger';
import { CaptureStream, clusterModel, idleModel, localModel, waitFor } from './fixtures';
import { VirtualTerminal } from './vt';
import { DisplayModel } from '../../src/display/model';

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

describe('terminal status display', () => {
  it('redraws in place on a TTY with digits, the uncertain tail marked, terms, rate and CPU', async () => {
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out, refreshMs: 0 });
    d.show(localModel());
    await waitFor(() => out.chunks.length === 1, 2000, 'first frame');
    const frame = out.chunks[0];
    expect(frame.startsWith('\r')).to.equal(true); // drawn where the cursor is: the scrollback above stays
    expect(frame.endsWith('\x1b[J')).to.equal(true);
    const text = strip(frame);
    expect(text).to.include('3.14159[2653?]');
    expect(frame).to.include('\x1b[1m3.14159\x1b[22m');
    expect(frame).to.match(/\x1b\[2;4m\[2653\?\]/);
    expect(text).to.include('123M done');
    expect(text).to.include('12.3M terms/s');
    expect(text).to.include('3 of 4 used by pi-mesos');
    expect(text).to.include('next digit in ~4m12s');
    await d.close('stopped');
  });

  it('writes nothing when the frame did not change', async () => {
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out, refreshMs: 0 });
    d.show(localModel());
    d.show(localModel());
    const m = localModel();
    m.pi.termsDone += 1_000_000;
    d.show(m);
    await waitFor(() => out.chunks.length >= 2, 2000, 'second frame');
    d.show(m);
    await new Promise((r) => setImmediate(r));
    expect(out.chunks.length).to.equal(2);
    await d.close('blank');
    expect(out.chunks[2]).to.equal(`\x1b[${strip(out.chunks[1]).split('\n').length - 1}F\x1b[J`); // up over the view, erased
  });

  it('caps the refresh rate: a burst of models yields one deferred redraw of the latest', async () => {
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out, refreshMs: 200 });
    const m = localModel();
    d.show(m);
    for (let i = 1; i <= 50; i++) {
      const next = localModel();
      next.pi.termsDone = m.pi.termsDone + i * 10_000_000;
      d.show(next);
    }
    expect(out.chunks.length).to.equal(1);
    await waitFor(() => out.chunks.length === 2, 3000, 'deferred frame');
    expect(strip(out.chunks[1])).to.include(`${((123_456_789 + 500_000_000) / 1e6).toFixed(0)}M done`);
    await d.close('stopped');
  });

  it('prints plain lines on a pipe and a stopped line on close', async () => {
    const out = new CaptureStream(false);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out });
    d.show(clusterModel());
    await waitFor(() => out.chunks.length === 1, 2000, 'line');
    expect(out.chunks[0]).to.not.include('\x1b');
    expect(out.chunks[0]).to.match(/^pi 3\.1415926\[535\?\] terms 2\.35G \(48\.2M\/s\) cpu 7\.5\/12 next digit 1h02m\n$/);
    const m = clusterModel();
    m.pi.termsDone += 1;
    d.show(m); // within the line interval: deferred, then dropped by close
    await d.close('stopped');
    expect(out.chunks.length).to.equal(2);
    expect(out.chunks[1]).to.match(/^stopped: pi 3\.1415926\[535\?\]/);
  });

  // Issue 11, point 16.
  it('the stopped frame shows no ETA and no rates, on a TTY and on a pipe', async () => {
    const vt = new VirtualTerminal(100, 30);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: vt.stream(), logs: vt.stream(), refreshMs: 0 });
    d.show(localModel());
    expect(vt.lines().join('\n')).to.include('12.3M terms/s');
    await d.close('stopped');
    const text = vt.lines().join('\n');
    expect(text).to.include('pi-mesos (local) - STOPPED');
    expect(text).to.include('5 certified decimals\n');
    expect(text).to.include('123M done (130M computed)\n');
    expect(text).to.not.match(/terms\/s|next digit/);
    expect(vt.lines().filter((l) => l.startsWith('pi-mesos (local)'))).to.have.length(1);

    const pipe = new CaptureStream(false);
    const p = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: pipe });
    p.show(localModel());
    await p.close('stopped');
    expect(pipe.chunks[1]).to.equal('stopped: pi 3.14159[2653?] terms 123M\n');
  });

  it('never says "next digit in unknown": a null ETA is left out', async () => {
    const vt = new VirtualTerminal(100, 30);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: vt.stream(), logs: vt.stream(), refreshMs: 0 });
    const m = idleModel();
    d.show(m);
    const text = vt.lines().join('\n');
    expect(text).to.include('7 certified decimals\n');
    expect(text).to.not.match(/unknown|next digit/);
    await d.close('blank');
    const pipe = new CaptureStream(false);
    const p = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: pipe });
    p.show(m);
    expect(pipe.chunks[0]).to.not.match(/next digit|\?\n/);
    await p.close('blank');
  });

  it('smooths the rate it shows (and the ETA with it) over models whose rate jumps', async () => {
    let now = 0;
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out, refreshMs: 0 });
    (d as unknown as { opts: { now: () => number } }).opts.now = () => now;
    const shown: number[] = [];
    const etas: string[] = [];
    for (let i = 0; i < 80; i++) {
      now = i * 500;
      const m = localModel();
      m.pi.termsDone += i; // a new frame every time
      m.pi.termsPerSecond = i % 2 === 0 ? 10e9 : 20e9; // completions arriving in steps
      m.pi.nextDigitEtaSeconds = 1e12 / m.pi.termsPerSecond; // the same remaining terms
      d.show(m);
      const text = strip(out.chunks[out.chunks.length - 1]);
      shown.push(Number(/([\d.]+)G terms\/s/.exec(text)![1]));
      etas.push(/next digit in ~(\S+)/.exec(text)![1]);
    }
    const late = shown.slice(40);
    expect(Math.min(...late)).to.be.at.least(14);
    expect(Math.max(...late)).to.be.at.most(16);
    for (let i = 41; i < shown.length; i++) expect(Math.abs(shown[i] - shown[i - 1]) / shown[i], `step ${i}`).to.be.below(0.05);
    // 1e12 terms at ~15 G/s: 67 s whichever raw rate the model carried.
    expect(new Set(etas.slice(40)).size).to.be.at.most(3);
    expect(etas[79]).to.match(/^1m0[4-9]s$/);
    await d.close('blank');
  });

  it('keeps log lines written to the same terminal readable above the view', async () => {
    const vt = new VirtualTerminal(100, 30);
    const logs = vt.stream();
    vt.write('$ npm start\n');
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: vt.stream(), logs, refreshMs: 0 });
    const model = (done: number): DisplayModel => { const m = localModel(); m.pi.termsDone = done; return m; };
    d.show(model(1e9));
    logs.write('2026-11-30T14:00:00.000Z NOTICE first log line\n');
    d.show(model(2e9));
    logs.write('2026-11-30T14:00:01.000Z WARN second log line\n');
    logs.write('2026-11-30T14:00:01.500Z INFO third');
    logs.write(' line, written in two pieces\n');
    d.show(model(3e9));
    await d.close('stopped');
    const lines = vt.lines();
    expect(lines[0]).to.equal('$ npm start');
    const logLines = lines.filter((l) => / (NOTICE|WARN|INFO) /.test(l));
    expect(logLines).to.deep.equal([
      '2026-11-30T14:00:00.000Z NOTICE first log line',
      '2026-11-30T14:00:01.000Z WARN second log line',
      '2026-11-30T14:00:01.500Z INFO third line, written in two pieces',
    ]);
    // One view, below the logs, showing the last state.
    const titles = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('pi-mesos (local)'));
    expect(titles).to.have.length(1);
    expect(titles[0][1]).to.be.greaterThan(lines.indexOf(logLines[2]));
    expect(lines.join('\n')).to.include('3.00G done');
  });

  it('clips status lines to the terminal width instead of wrapping them', async () => {
    const vt = new VirtualTerminal(40, 30);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: vt.stream(), logs: vt.stream(), refreshMs: 0 });
    for (let i = 0; i < 3; i++) { const m = clusterModel(); m.pi.termsDone += i; d.show(m); }
    await d.close('stopped');
    const lines = vt.lines();
    expect(lines.filter((l) => l.startsWith('pi-mesos (mesos)'))).to.have.length(1);
    expect(lines.find((l) => l.startsWith('  CPU'))).to.have.length(40);
  });

  it('a display closed after its successor took the log stream (SIGHUP) no longer touches the screen', async () => {
    const vt = new VirtualTerminal(100, 40);
    const logs = vt.stream();
    const firstOut = vt.stream();
    let firstWrites = 0;
    const write = firstOut.write.bind(firstOut);
    firstOut.write = ((chunk: string, ...rest: never[]) => { firstWrites++; return write(chunk, ...rest); }) as typeof firstOut.write;
    const first = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: firstOut, logs, refreshMs: 0 });
    first.show(localModel());
    const second = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out: vt.stream(), logs, refreshMs: 0 });
    await first.close('stopped');
    const writesAtClose = firstWrites;
    second.show(clusterModel());
    logs.write('NOTICE after the reload\n');
    await second.close('stopped');
    expect(firstWrites, 'the closed display wrote after close()').to.equal(writesAtClose);
    const lines = vt.lines();
    expect(lines.filter((l) => l.startsWith('pi-mesos (local) - STOPPED'))).to.have.length(1);
    expect(lines.filter((l) => l === 'NOTICE after the reload')).to.have.length(1);
    expect(lines.filter((l) => l.startsWith('pi-mesos (mesos) - STOPPED'))).to.have.length(1);
    expect(lines.indexOf('NOTICE after the reload')).to.be.lessThan(lines.findIndex((l) => l.startsWith('pi-mesos (mesos)')));
  });
});
