// What real panels and backpacks do that the happy path does not: power lost and restored with no
// write failing, writes cut at any byte, active-low backlights, an SH1106 mounted upside down, and
// the HD44780's bus timing. Time is the rig's clock, moved by the test; nothing here waits on it.
import { expect } from 'chai';
import { renderPage } from '../../src/display/screens';
import { DisplayModel } from '../../src/display/model';
import { clusterModel, waitFor } from './fixtures';
import { makeRig, PanelKind, Rig, RigOptions, sizeOf } from './harness';
import { PanelSize } from '../../src/display/spec';

function want(m: DisplayModel, kind: PanelKind): string {
  const f = renderPage('pi', m, sizeOf(kind) as PanelSize);
  return f.kind === 'pixel' ? f.canvas.toText() : f.chars.toText();
}

function rotate180(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.reverse().map((l) => [...l].reverse().join('')).join('\n') + '\n';
}

/** A rig on a clock the test moves. */
function clockedRig(kind: PanelKind, opts: RigOptions = {}): { rig: Rig; clock: { t: number } } {
  const clock = { t: Date.UTC(2025, 0, 1, 12) };
  const rig = makeRig(kind, { extra: 'pages=pi', ...opts, now: () => new Date(clock.t) });
  return { rig, clock };
}

function powerCycle(rig: Rig): void {
  if (rig.oled) rig.oled.powerCycle();
  else rig.lcd!.powerCycle();
}

const ALL: PanelKind[] = ['ssd1306-64', 'ssd1306-32', 'sh1106-64', 'hd44780-20x4', 'hd44780-16x2'];

describe('panels in the real world', () => {
  describe('power lost and restored without a failed write', () => {
    for (const kind of ALL) {
      it(`${kind}: the right picture again within the 60 s refresh period, frames once a second`, async () => {
        const { rig, clock } = clockedRig(kind);
        const m = clusterModel();
        rig.display.show(m);
        await rig.display.settled();
        expect(rig.glass()).to.equal(want(m, kind));
        powerCycle(rig); // a loose jumper: reset state, no picture, and no write has failed
        expect(rig.glass()).to.not.equal(want(m, kind));
        let back = -1;
        for (let s = 1; s <= 60; s++) {
          clock.t += 1000;
          m.pi.termsDone += 48_200_000;
          rig.display.show(m);
          await rig.display.settled();
          if (back < 0 && rig.glass() === want(m, kind)) back = s;
        }
        expect(rig.glass(), 'glass after 60 s').to.equal(want(m, kind));
        expect(back, 'seconds until the glass was right').to.be.within(1, 60);
        expect(rig.display.busErrors).to.equal(0);
        if (rig.oled) {
          expect(rig.oled.displayOn).to.equal(true);
          if (rig.oled.controller === 'ssd1306') expect(rig.oled.mode).to.equal('horizontal');
        } else {
          const lcd = rig.lcd!;
          expect([lcd.eightBit, lcd.twoLines, lcd.displayOn]).to.deep.equal([false, true, true]);
          expect([0, 1, 2, 3, 4, 5, 6, 7].map((g) => lcd.describeGlyph(g)).join('')).to.equal('▏▎▍▋█▒_~');
        }
        // From here on the panel is in step: a further frame is clean and right.
        const errors = rig.oled ? rig.oled.errors.length : rig.lcd!.errors.length;
        clock.t += 1000;
        m.pi.termsDone += 48_200_000;
        rig.display.show(m);
        await rig.display.settled();
        expect(rig.glass()).to.equal(want(m, kind));
        expect((rig.oled ? rig.oled.errors : rig.lcd!.errors).slice(errors)).to.deep.equal([]);
        await rig.display.close('blank');
      });
    }

    it('refresh=0 turns the refresh off; a quiet display still refreshes (no new models)', async () => {
      const off = clockedRig('ssd1306-64', { extra: 'pages=pi,refresh=0' });
      off.rig.display.show(clusterModel());
      await off.rig.display.settled();
      for (let s = 1; s <= 60; s++) { off.clock.t += 1000; off.rig.display.show(clusterModel()); await off.rig.display.settled(); }
      expect(off.rig.display.refreshSteps).to.equal(0);
      await off.rig.display.close('blank');
      // The refresh timer kicks a cycle by itself; here the clock moves and the kick is called as
      // the timer would, without waiting for it.
      const quiet = clockedRig('ssd1306-64');
      quiet.rig.display.show(clusterModel());
      await quiet.rig.display.settled();
      quiet.clock.t += 7500;
      (quiet.rig.display as unknown as { kick(): void }).kick();
      await quiet.rig.display.settled();
      expect(quiet.rig.display.refreshSteps).to.equal(1);
      await quiet.rig.display.close('blank');
    });
  });

  describe('after a write cut at any byte, the controller is back in a known state', () => {
    /** Cuts transaction `skip` (counted from now) after `after` bytes, then checks the recovery. */
    async function cutAndRecover(kind: PanelKind, phase: 'init' | 'frame', skip: number, after: number): Promise<void> {
      const rig = makeRig(kind, { extra: 'pages=pi' });
      const a = clusterModel();
      const b = clusterModel();
      b.pi.certified = '3.14159265'; b.pi.uncertain = '35'; b.pi.termsDone = 9_876_543_210; b.pi.termsPerSecond = 51_000_000;
      if (phase === 'frame') {
        rig.display.show(a);
        await rig.display.settled();
      }
      rig.bus.cutNext(after, 'EREMOTEIO', skip);
      rig.display.show(b);
      await waitFor(() => rig.display.busErrors > 0, 5000, 'the cut write failed');
      await waitFor(() => rig.glass() === want(b, kind), 5000, `glass right after the cut (${phase}, transaction +${skip}, ${after} bytes)`);
      if (rig.oled) {
        // No byte the driver meant as a command was eaten as another command's argument.
        const eaten = rig.oled.spills.flatMap((s) => s.fromLater).filter((x) => x !== 0xe3);
        expect(eaten.map((x) => `0x${x.toString(16)}`), 'command bytes taken as arguments of a cut command').to.deep.equal([]);
        expect(rig.oled.displayOn).to.equal(true);
        if (rig.oled.controller === 'ssd1306') expect(rig.oled.mode).to.equal('horizontal');
      } else {
        expect(rig.lcd!.configProblems().filter((p) => !/changed/.test(p))).to.deep.equal([]);
      }
      // A known state: the next frame goes on cleanly.
      const errorsBefore = (rig.oled ?? rig.lcd!).errors.length;
      b.pi.termsDone += 1_000_000_000;
      rig.display.show(b);
      await rig.display.settled();
      expect(rig.glass()).to.equal(want(b, kind));
      expect((rig.oled ?? rig.lcd!).errors.slice(errorsBefore)).to.deep.equal([]);
      await rig.display.close('blank');
    }

    function transactionsOf(kind: PanelKind, phase: 'init' | 'frame'): Promise<number[]> {
      // The byte counts of the transactions the uncut run sends in that phase.
      return (async () => {
        const rig = makeRig(kind, { extra: 'pages=pi' });
        const b = clusterModel();
        if (phase === 'frame') { rig.display.show(clusterModel()); await rig.display.settled(); }
        const mark = rig.bus.log.length;
        b.pi.certified = '3.14159265'; b.pi.uncertain = '35'; b.pi.termsDone = 9_876_543_210; b.pi.termsPerSecond = 51_000_000;
        rig.display.show(b);
        await rig.display.settled();
        const sizes = rig.bus.log.slice(mark).map((t) => t.bytes.length);
        await rig.display.close('blank');
        return sizes;
      })();
    }

    for (const kind of ['ssd1306-64', 'ssd1306-32', 'sh1106-64'] as PanelKind[]) {
      it(`${kind}: every cut of the init and of a frame's command writes`, async () => {
        const init = await transactionsOf(kind, 'init');
        for (let k = 1; k < init[0]; k++) await cutAndRecover(kind, 'init', 0, k);
        const frame = await transactionsOf(kind, 'frame');
        let cases = 0;
        for (let t = 0; t < frame.length; t++) {
          // Command writes are the short ones; cut every data write at two places only.
          const points = frame[t] <= 8 ? Array.from({ length: frame[t] - 1 }, (_, i) => i + 1) : [1, frame[t] - 1];
          for (const k of points) { await cutAndRecover(kind, 'frame', t, k); cases++; }
        }
        expect(cases).to.be.greaterThan(0);
      });
    }

    for (const kind of ['hd44780-20x4', 'hd44780-16x2'] as PanelKind[]) {
      it(`${kind}: cuts at every byte of a frame and across the init`, async () => {
        const frame = await transactionsOf(kind, 'frame');
        expect(frame.length).to.be.greaterThan(0);
        // Every byte through the first few characters (each place within a nibble and a byte, at an
        // address and at data), then a sample: each case pays the datasheet's init waits (~60 ms).
        for (let t = 0; t < frame.length; t++) for (let k = 1; k < frame[t]; k += k < 16 ? 1 : 9) await cutAndRecover(kind, 'frame', t, k);
        const init = await transactionsOf(kind, 'init');
        for (let t = 0; t < init.length; t++) for (const k of [1, 2, 4, 7, Math.max(1, init[t] - 1)]) if (k < init[t]) await cutAndRecover(kind, 'init', t, k);
      });
    }
  });

  describe('LCD backlight polarity', () => {
    for (const low of [false, true]) {
      it(`backlight-active=${low ? 'low' : 'high'}: lit by day, dark while dimmed and when blanked`, async () => {
        let now = new Date(2025, 0, 1, 12, 0);
        const rig = makeRig('hd44780-16x2', {
          extra: `pages=pi${low ? ',backlight-active=low' : ''}`, dim: '22:00-07:00', now: () => now, backlightActiveLow: low,
        });
        const m = clusterModel();
        rig.display.show(m);
        await rig.display.settled();
        expect(rig.lcd!.backlight, 'by day').to.equal(true);
        expect(rig.problems()).to.deep.equal([]);
        now = new Date(2025, 0, 1, 23, 0);
        m.pi.termsDone++;
        rig.display.show(m);
        await rig.display.settled();
        expect(rig.lcd!.backlight, 'dimmed').to.equal(false);
        now = new Date(2025, 0, 2, 8, 0);
        m.pi.termsDone++;
        rig.display.show(m);
        await rig.display.settled();
        expect(rig.lcd!.backlight, 'next morning').to.equal(true);
        await rig.display.close('blank');
        expect(rig.lcd!.backlight, 'blanked').to.equal(false);
      });
    }

    it('backlight=off keeps an active-low backlight dark', async () => {
      const rig = makeRig('hd44780-20x4', { extra: 'pages=pi,backlight=off,backlight-active=low', backlightActiveLow: true });
      rig.display.show(clusterModel());
      await rig.display.settled();
      expect(rig.lcd!.backlight).to.equal(false);
      expect(rig.glass()).to.equal(want(clusterModel(), 'hd44780-20x4'));
      await rig.display.close('stopped');
    });
  });

  describe('SH1106 mounted upside down', () => {
    for (const offset of [0, 1, 2, 3, 4]) {
      it(`offset=${offset}: rotate=180 shows the rotated picture, no unwritten RAM`, async () => {
        const up = makeRig('sh1106-64', { extra: `pages=pi,offset=${offset}`, oledOffset: offset });
        const down = makeRig('sh1106-64', { extra: `pages=pi,offset=${offset},rotate=180`, oledOffset: offset });
        up.display.show(clusterModel());
        down.display.show(clusterModel());
        await up.display.settled();
        await down.display.settled();
        expect(up.glass()).to.equal(want(clusterModel(), 'sh1106-64'));
        expect(down.glass()).to.equal(rotate180(up.glass()));
        expect(down.problems()).to.deep.equal([]);
        await up.display.close('blank');
        await down.display.close('blank');
      });
    }
  });

  describe('HD44780 bus timing', () => {
    for (const kind of ['hd44780-20x4', 'hd44780-16x2'] as PanelKind[]) {
      it(`${kind}: RS is set in a write before the one that raises E, and held while E falls`, async () => {
        const rig = makeRig(kind, { extra: 'pages=cluster+pi+framework', pageIntervalMs: 0 });
        const m = clusterModel();
        for (let i = 0; i < 6; i++) {
          m.pi.termsDone += 77_777_777 * i;
          rig.display.show(m);
          await rig.display.settled();
          rig.display.nextPage();
          await rig.display.settled();
        }
        await rig.display.close('blank');
        // Independently of the emulator: walk the pin bytes and check the order.
        let prev: number | null = null;
        let rises = 0;
        for (const t of rig.bus.log) {
          for (const b of t.bytes) {
            if (prev !== null && (prev & 0x04) === 0 && (b & 0x04) !== 0) {
              rises++;
              expect(b & 0x03, 'RS/RW at E rise equal the write before').to.equal(prev & 0x03);
            }
            if (prev !== null && (prev & 0x04) !== 0 && (b & 0x04) === 0) expect(b & 0xf3, 'RS/RW/D4-7 at E fall').to.equal(prev & 0xf3);
            prev = b;
          }
        }
        expect(rises).to.be.greaterThan(100);
        expect(rig.problems()).to.deep.equal([]);
      });
    }
  });
});
