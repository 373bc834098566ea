import { expect } from 'chai';
import { createDisplay, parseDisplaySpec } from '../../src/display';
import { silentLogger } from '../../src/common/logger';
import { CaptureStream, clusterModel, localModel, waitFor } from './fixtures';

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

describe('terminal status display', () => {
  it('redraws in place on a TTY with digits, the uncertain tail marked, terms, rate and CPU', async () => {
    const out = new CaptureStream(true);
    const d = createDisplay(parseDisplaySpec('terminal'), { logger: silentLogger, out, refreshMs: 0 });
    d.show(localModel());
    await waitFor(() => out.chunks.length === 1, 2000, 'first frame');
    const frame = out.chunks[0];
    expect(frame.startsWith('\x1b[H')).to.equal(true);
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
    expect(out.chunks[2]).to.equal('\x1b[H\x1b[J');
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
});
