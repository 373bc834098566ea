// Bus faults: each is logged once with what to check, retried with backoff, and the panel is
// re-initialised when it answers again. Nothing reaches the caller.
import { expect } from 'chai';
import { MemoryLogger } from '../../src/common/logger';
import { createDisplay, parseDisplaySpec } from '../../src/display';
import { renderPage } from '../../src/display/screens';
import { clusterModel, waitFor } from './fixtures';
import { makeRig } from './harness';

function expectedGlass(): string {
  const f = renderPage('pi', clusterModel(), '128x64');
  return f.kind === 'pixel' ? f.canvas.toText() : '';
}

describe('display faults', () => {
  const openFaults: [string, RegExp][] = [
    ['ENOENT', /\/dev\/i2c-1 does not exist: enable I2C.*PrivateDevices/],
    ['EACCES', /no permission on \/dev\/i2c-1: add the service user to the 'i2c' group/],
  ];
  for (const [code, hint] of openFaults) {
    it(`${code} opening the bus: logged once with what to check, retried, recovered`, async () => {
      const logger = new MemoryLogger();
      const rig = makeRig('ssd1306-64', { extra: 'pages=pi', logger });
      rig.factory.openError = code;
      expect(() => rig.display.show(clusterModel())).to.not.throw();
      await waitFor(() => rig.factory.opens >= 4, 5000, 'retries');
      const errors = logger.lines.filter((l) => l.level === 'error');
      expect(errors).to.have.length(1);
      expect(rig.display.busErrors).to.be.at.least(3); // every failure counts for /metrics, logged or not
      expect(errors[0].msg).to.match(new RegExp(code));
      expect(errors[0].msg).to.match(hint);
      rig.factory.openError = null;
      await waitFor(() => rig.glass() === expectedGlass(), 5000, 'recovered glass');
      expect(logger.has('notice', /answers again after \d+ failed attempt/)).to.equal(true);
      expect(rig.problems()).to.deep.equal([]);
      await rig.display.close('blank');
    });
  }

  it('EREMOTEIO (no ACK: panel unplugged) mid-run: logged once, re-initialised and fully redrawn on return', async () => {
    const logger = new MemoryLogger();
    const rig = makeRig('ssd1306-64', { extra: 'pages=pi', logger });
    rig.display.show(clusterModel());
    await rig.display.settled();
    const panel = rig.bus.devices.get(0x3c)!;
    rig.bus.devices.delete(0x3c); // unplugged
    // Replug later as a freshly powered panel: off, RAM garbage.
    const m = clusterModel();
    m.pi.termsDone += 50_000_000; // a visible change, so the driver has something to send
    rig.display.show(m);
    await waitFor(() => rig.display.failing, 5000, 'fault noticed');
    for (let i = 0; i < 5; i++) { m.pi.termsDone += 50_000_000; rig.display.show(m); }
    await waitFor(() => logger.lines.filter((l) => /EREMOTEIO/.test(l.msg)).length >= 3, 5000, 'several retries');
    expect(logger.lines.filter((l) => l.level === 'error')).to.have.length(1);
    expect(logger.lines.find((l) => l.level === 'error')!.msg).to.match(/no device answers at 0x3c on \/dev\/i2c-1: check the wiring.*i2cdetect -y 1/);
    rig.oled!.displayOn = false;
    rig.oled!.ram.forEach((p) => p.fill(0x5a));
    const initsBefore = rig.oled!.commands.filter((c) => c[0] === 0xae).length;
    rig.bus.attach(0x3c, panel);
    const want = renderPage('pi', m, '128x64');
    await waitFor(() => rig.glass() === (want.kind === 'pixel' ? want.canvas.toText() : ''), 5000, 'full redraw after re-init');
    expect(rig.oled!.commands.filter((c) => c[0] === 0xae).length).to.equal(initsBefore + 1);
    expect(logger.has('notice', /answers again/)).to.equal(true);
    await rig.display.close('stopped');
  });

  it('ENXIO on the LCD: logged with wiring/address hints; the caller never sees it', async () => {
    const logger = new MemoryLogger();
    const rig = makeRig('hd44780-16x2', { extra: 'pages=pi', logger });
    rig.bus.fault = 'ENXIO';
    rig.display.show(clusterModel());
    await waitFor(() => logger.lines.length >= 2, 5000, 'retries');
    expect(logger.lines[0].level).to.equal('error');
    expect(logger.lines[0].msg).to.match(/hd44780 16x2 \(PCF8574 at 0x27\).*ENXIO.*check the wiring.*address/);
    rig.bus.fault = null;
    await waitFor(() => rig.glass().startsWith('3.1415926~535'), 5000, 'LCD back');
    expect(rig.problems()).to.deep.equal([]);
    await rig.display.close('stopped');
  });

  it('rate-limits a long outage: one error, then a warning at most every repeat interval', async () => {
    const logger = new MemoryLogger();
    const rig = makeRig('ssd1306-32', { extra: 'pages=pi', logger });
    (rig.display as unknown as { opts: { repeatLogMs: number; maxBackoffMs: number } }).opts.maxBackoffMs = 5;
    rig.bus.fault = 'EREMOTEIO';
    rig.display.show(clusterModel());
    await waitFor(() => rig.factory.opens >= 30, 10_000, 'thirty attempts');
    expect(logger.lines.filter((l) => l.level === 'error')).to.have.length(1);
    expect(logger.lines.filter((l) => l.level === 'warn')).to.have.length(0); // within 10 minutes
    expect(logger.lines.filter((l) => l.level === 'debug').length).to.be.greaterThan(20);
    await rig.display.close('stopped');
  });

  it('close() on a dead panel resolves without throwing', async () => {
    const rig = makeRig('ssd1306-64', { extra: 'pages=pi' });
    rig.factory.openError = 'ENOENT';
    rig.display.show(clusterModel());
    await waitFor(() => rig.display.failing, 5000, 'failing');
    await rig.display.close('stopped');
    expect(rig.glass()).to.not.include('#');
  });

  it('runs with the real i2c-bus loader when no bus is injected, failing softly without /dev/i2c-7', async function () {
    const logger = new MemoryLogger();
    const d = createDisplay(parseDisplaySpec('ssd1306:bus=7'), { logger, refreshMs: 0 });
    d.show(clusterModel());
    await waitFor(() => logger.lines.some((l) => l.level === 'error'), 5000, 'logged fault');
    expect(logger.lines.find((l) => l.level === 'error')!.msg).to.match(/ssd1306 at 0x3c on \/dev\/i2c-7: .*\((ENOENT|ENOMODULE)\)/);
    await d.close('blank');
  });
});
