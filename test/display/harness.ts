// Wires a real display (createDisplay, real drivers) to an emulated bus and panel.
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { createDisplay, parseDisplaySpec } from '../../src/display';
import { PanelDisplay } from '../../src/display/panel-display';
import { Logger, silentLogger } from '../../src/common/logger';
import { FakeBusFactory, FakeI2cBus, LcdEmulator, OledEmulator, PinMap, COMMON_BACKPACK } from '../support/panels';

export type PanelKind = 'ssd1306-64' | 'ssd1306-32' | 'sh1106-64' | 'hd44780-20x4' | 'hd44780-16x2';
export const PANEL_KINDS: PanelKind[] = ['ssd1306-64', 'ssd1306-32', 'sh1106-64', 'hd44780-20x4', 'hd44780-16x2'];

export interface Rig {
  display: PanelDisplay;
  factory: FakeBusFactory;
  bus: FakeI2cBus;
  glass(): string;
  problems(): string[];
  oled?: OledEmulator;
  lcd?: LcdEmulator;
}

export function sizeOf(kind: PanelKind): string {
  return ({ 'ssd1306-64': '128x64', 'ssd1306-32': '128x32', 'sh1106-64': '128x64', 'hd44780-20x4': '20x4', 'hd44780-16x2': '16x2' } as const)[kind];
}

export function specFor(kind: PanelKind, extra = ''): string {
  const x = extra ? `,${extra}` : '';
  switch (kind) {
    case 'ssd1306-64': return `ssd1306:bus=1,height=64${x}`;
    case 'ssd1306-32': return `ssd1306:bus=1,height=32${x}`;
    case 'sh1106-64': return `sh1106:bus=1${x}`;
    case 'hd44780-20x4': return `hd44780:bus=1,cols=20,rows=4${x}`;
    case 'hd44780-16x2': return `hd44780:bus=1,cols=16,rows=2${x}`;
  }
}

export interface RigOptions {
  extra?: string;
  logger?: Logger;
  pageIntervalMs?: number;
  dim?: string;
  now?: () => Date;
  pins?: PinMap;
  backoffMs?: number;
  /** SH1106 module wiring: first visible RAM column with segment remap on (default 2). */
  oledOffset?: number;
  /** A backpack whose backlight pin is active low. */
  backlightActiveLow?: boolean;
}

export function makeRig(kind: PanelKind, opts: RigOptions = {}): Rig {
  const factory = new FakeBusFactory();
  const bus = factory.bus(1);
  let oled: OledEmulator | undefined;
  let lcd: LcdEmulator | undefined;
  if (kind.startsWith('hd44780')) {
    const pins = opts.pins ?? COMMON_BACKPACK;
    const low = opts.backlightActiveLow ?? false;
    lcd = kind === 'hd44780-20x4' ? new LcdEmulator(20, 4, pins, low) : new LcdEmulator(16, 2, pins, low);
    bus.attach(0x27, lcd);
  } else {
    oled = new OledEmulator(kind.startsWith('sh1106') ? 'sh1106' : 'ssd1306', kind.endsWith('32') ? 32 : 64, { offset: opts.oledOffset });
    bus.attach(0x3c, oled);
  }
  const wantsShiftOff = !kind.startsWith('hd44780') && !(opts.extra ?? '').includes('shift=');
  const extra = [wantsShiftOff ? 'shift=off' : '', opts.extra ?? ''].filter((s) => s !== '').join(',');
  const display = createDisplay(parseDisplaySpec(specFor(kind, extra)), {
    logger: opts.logger ?? silentLogger, openBus: factory.open, refreshMs: 0, pageIntervalMs: opts.pageIntervalMs ?? 0, dim: opts.dim,
  }) as PanelDisplay;
  // Tests drive time-dependent parts (dim, shift, backoff) through these hooks.
  const o = (display as unknown as { opts: { now?: () => Date; backoffMs?: number; maxBackoffMs?: number } }).opts;
  if (opts.now) o.now = opts.now;
  o.backoffMs = opts.backoffMs ?? 5;
  o.maxBackoffMs = 40;
  return {
    display, factory, bus, oled, lcd,
    glass: () => (oled ? oled.glassText() : lcd!.glassText()),
    problems: () => (oled ? oled.configProblems() : lcd!.configProblems()),
  };
}

export const GOLDEN_DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'golden');

/** Compares with test/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead. */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  expect(fs.existsSync(file), `golden file ${file} is missing (run with UPDATE_GOLDEN=1 to create it)`).to.equal(true);
  const want = fs.readFileSync(file, 'utf8');
  if (actual !== want) {
    fs.writeFileSync(file + '.actual', actual);
    expect.fail(`${name} differs from its golden file; the glass is in ${file}.actual\n${actual}`);
  }
}
