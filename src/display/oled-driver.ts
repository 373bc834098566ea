// SSD1306 and SH1106 OLEDs over I2C. The framebuffer is diffed against what is known to be on the
// glass and only changed runs are sent, each as one windowed write (SSD1306) or one page-run write
// (SH1106), through asynchronous, serialised bus writes.
import { Canvas } from './canvas';
import { OpenBus, PanelLink } from './bus';
import { Frame } from './screens';
import { OledSpec, PanelSize } from './spec';
import { PanelDriver } from './panel-display';

/** A rectangle of RAM to rewrite: pages p0..p1, columns c0..c1 (inclusive). */
export interface Window { p0: number; p1: number; c0: number; c1: number }

const CTRL_CMD_STREAM = 0x00;
const CTRL_DATA_STREAM = 0x40;
const CTRL_ONE_CMD = 0x80; // Co=1: one command byte, then another control byte
/** No operation, on both controllers (SSD1306 command table 9; SH1106 command 20). */
const NOP = 0xe3;
/**
 * The most argument bytes any command this driver sends takes: the SSD1306 window commands 0x21
 * and 0x22 take two; every SH1106 command it sends takes at most one.
 */
const MAX_ARGS = 2;

/** Bytes a window costs on the SSD1306: 7-byte command write + control byte + data, 2 address bytes. */
function ssdCost(w: Window): number { return 10 + (w.p1 - w.p0 + 1) * (w.c1 - w.c0 + 1); }

/**
 * Changed runs of a page-layout buffer against the shadow (null: everything), merged where one
 * wider write is cheaper than two: within a page across gaps up to `gap` bytes, and across pages
 * when `mergePages` (SSD1306 windows span pages; SH1106 writes are one page each).
 */
export function changedWindows(next: Uint8Array, shadow: Uint8Array | null, width: number, pages: number, gap: number, mergePages: boolean): Window[] {
  const runs: Window[] = [];
  for (let p = 0; p < pages; p++) {
    let start = -1;
    let end = -1;
    for (let c = 0; c < width; c++) {
      const i = p * width + c;
      if (shadow !== null && next[i] === shadow[i]) continue;
      if (start >= 0 && c - end - 1 <= gap) end = c;
      else {
        if (start >= 0) runs.push({ p0: p, p1: p, c0: start, c1: end });
        start = end = c;
      }
    }
    if (start >= 0) runs.push({ p0: p, p1: p, c0: start, c1: end });
  }
  if (!mergePages) return runs;
  const out: Window[] = [];
  for (const r of runs) {
    // Try to extend a window that ends on the page above.
    let best = -1;
    let bestGain = 0;
    for (let k = 0; k < out.length; k++) {
      const w = out[k];
      if (w.p1 !== r.p0 - 1) continue;
      const merged = { p0: w.p0, p1: r.p1, c0: Math.min(w.c0, r.c0), c1: Math.max(w.c1, r.c1) };
      const gain = ssdCost(w) + ssdCost(r) - ssdCost(merged);
      if (gain >= 0 && gain >= bestGain) { best = k; bestGain = gain; }
    }
    if (best >= 0) {
      const w = out[best];
      out[best] = { p0: w.p0, p1: r.p1, c0: Math.min(w.c0, r.c0), c1: Math.max(w.c1, r.c1) };
    } else out.push({ ...r });
  }
  return out;
}

/**
 * The init sequence, from oled-i2c-bus where it knows the panel (it is the user's package and
 * carries the per-size multiplex and COM-pin settings): its constructor is run against a recorder
 * instead of a bus, and the recorded commands are corrected and sent as one command stream.
 */
export function ssd1306InitSequence(height: 64 | 32, contrast: number, rotate: 0 | 180): number[] {
  let cmds: number[] | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const Oled = require('oled-i2c-bus');
    const recorded: number[] = [];
    const recorder = {
      i2cWriteSync(_addr: number, _len: number, buf: Buffer): number {
        if (buf[0] === CTRL_CMD_STREAM) recorded.push(...buf.subarray(1));
        return buf.length;
      },
      i2cReadSync(): number { return 1; },
    };
    new Oled(recorder, { width: 128, height, address: 0x3c });
    cmds = recorded;
  } catch {
    cmds = null;
  }
  if (!cmds || cmds.length < 20) {
    cmds = [0xae, 0xd5, 0x80, 0xa8, height - 1, 0xd3, 0x00, 0x40, 0x8d, 0x14, 0x20, 0x00, 0xa1, 0xc8,
      0xda, height === 64 ? 0x12 : 0x02, 0x81, 0x8f, 0xd9, 0xf1, 0xdb, 0x40, 0xa4, 0xa6, 0xaf];
  }
  const withArg = [0xd5, 0xa8, 0xd3, 0x8d, 0x20, 0xda, 0x81, 0xd9, 0xdb];
  const out: number[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i];
    if (withArg.includes(c) && i + 1 < cmds.length) {
      out.push(c, c === 0x81 ? contrast : cmds[i + 1]);
      i++;
    } else if (c === 0x00) {
      // oled-i2c-bus sends 0x00 as "start line"; 0x00 is really "lower column nibble": the start
      // line command is 0x40 | line.
      out.push(0x40);
    } else if (c === 0xa1 || c === 0xa0) out.push(rotate === 180 ? 0xa0 : 0xa1);
    else if (c === 0xc8 || c === 0xc0) out.push(rotate === 180 ? 0xc0 : 0xc8);
    else out.push(c);
  }
  return out;
}

/** SH1106: no addressing modes; DC-DC converter via 0xAD 0x8B instead of the SSD1306 charge pump. */
export function sh1106InitSequence(contrast: number, rotate: 0 | 180): number[] {
  return [0xae, 0xd5, 0x80, 0xa8, 0x3f, 0xd3, 0x00, 0x40, 0xad, 0x8b,
    rotate === 180 ? 0xa0 : 0xa1, rotate === 180 ? 0xc0 : 0xc8, 0xda, 0x12, 0x81, contrast,
    0xd9, 0x22, 0xdb, 0x35, 0xa4, 0xa6, 0xaf];
}

/**
 * The SH1106 RAM column shown at glass column 0. The module wires its 128 columns to a fixed run of
 * the controller's 132 segment drivers; `offset` is the first visible column with segment remap on
 * (0xA1, rotate=0). Remap off (0xA0, rotate=180) reverses the column-to-segment order, so the same
 * glass then starts at column 132 - 128 - offset (SH1106 datasheet: 132 x 64 RAM, ADC select).
 */
export function sh1106FirstColumn(offset: number, rotate: 0 | 180): number {
  return rotate === 180 ? 132 - 128 - offset : offset;
}

export class OledDriver implements PanelDriver {
  readonly description: string;
  readonly size: PanelSize;
  readonly busNumber: number;
  readonly address: number;
  readonly burnInShift: boolean;
  /** One refresh step per RAM page: configuration plus that page. */
  readonly refreshSteps: number;
  private readonly link: PanelLink;
  /** What the glass holds, or null when unknown (after init or a failed write). */
  private shadow: Uint8Array | null = null;
  private readonly pages: number;
  private contrastNow: number;
  private refreshPage = 0;

  constructor(private readonly spec: OledSpec, openBus: OpenBus) {
    this.size = `128x${spec.height}` as PanelSize;
    this.busNumber = spec.bus;
    this.address = spec.address;
    this.link = new PanelLink(openBus, spec.bus, spec.address);
    this.burnInShift = spec.shift;
    this.pages = spec.height / 8;
    this.refreshSteps = this.pages;
    this.contrastNow = spec.contrast;
    this.description = `${spec.kind} at 0x${spec.address.toString(16)} on /dev/i2c-${spec.bus}`;
  }

  /** Bus traffic since start (payload plus one address byte per transaction), for the bench and tests. */
  get stats(): { bytes: number; transactions: number } { return this.link.stats; }

  private send(bytes: number[] | Uint8Array): Promise<void> {
    return this.link.send(bytes);
  }

  private initSequence(contrast: number): number[] {
    return this.spec.kind === 'sh1106'
      ? sh1106InitSequence(contrast, this.spec.rotate)
      : ssd1306InitSequence(this.spec.height, contrast, this.spec.rotate);
  }

  /**
   * Opens the bus and configures the controller. The NOPs come first because neither controller
   * resets its command decoder on an I2C START: if an earlier write was cut between a command and
   * its arguments, the next command bytes are taken as those arguments. MAX_ARGS NOPs absorb them,
   * so the display-off that starts the sequence is executed as a command, whatever byte was cut.
   */
  async init(): Promise<void> {
    this.shadow = null;
    this.refreshPage = 0;
    await this.link.open();
    await this.send([CTRL_CMD_STREAM, ...new Array<number>(MAX_ARGS).fill(NOP), ...this.initSequence(this.contrastNow)]);
  }

  /**
   * One step of the power-loss refresh: the whole configuration again (without the display-off
   * that starts init, so nothing blinks) and one RAM page rewritten from what the glass should
   * hold. A panel that lost power comes back display-off, charge pump off and in page addressing
   * mode with no picture; the first step after that puts the configuration back, and after
   * `refreshSteps` steps every page has been rewritten. Costs about 165 bytes on a 128-column page.
   */
  async refreshStep(): Promise<void> {
    const shadow = this.shadow;
    if (shadow === null) return; // nothing drawn yet: the next draw sends everything anyway
    const p = this.refreshPage;
    this.refreshPage = (p + 1) % this.pages;
    const config = this.initSequence(this.contrastNow).filter((b, i) => !(i === 0 && b === 0xae));
    const row = shadow.subarray(p * 128, (p + 1) * 128);
    try {
      if (this.spec.kind === 'sh1106') {
        const col = sh1106FirstColumn(this.spec.columnOffset, this.spec.rotate);
        await this.send([CTRL_CMD_STREAM, ...config, 0xb0 | p, col & 0x0f, 0x10 | (col >> 4)]);
      } else {
        await this.send([CTRL_CMD_STREAM, ...config, 0x21, 0, 127, 0x22, p, p]);
      }
      await this.send([CTRL_DATA_STREAM, ...row]);
    } catch (err) {
      this.shadow = null;
      throw err;
    }
  }

  async draw(frame: Frame): Promise<void> {
    if (frame.kind !== 'pixel') throw new Error('an OLED draws pixel frames');
    const canvas: Canvas = frame.canvas;
    const next = canvas.buf;
    const sh = this.spec.kind === 'sh1106';
    const windows = changedWindows(next, this.shadow, 128, this.pages, sh ? 3 : 9, !sh);
    if (this.shadow === null) this.shadow = new Uint8Array(next.length);
    try {
      for (const w of windows) {
        const data: number[] = [];
        for (let p = w.p0; p <= w.p1; p++) for (let c = w.c0; c <= w.c1; c++) data.push(next[p * 128 + c]);
        if (sh) {
          const col = w.c0 + sh1106FirstColumn(this.spec.columnOffset, this.spec.rotate);
          // Page, column low and high nibble as single commands (Co=1), then the data stream:
          // one transaction per run.
          await this.send([CTRL_ONE_CMD, 0xb0 | w.p0, CTRL_ONE_CMD, col & 0x0f, CTRL_ONE_CMD, 0x10 | (col >> 4), CTRL_DATA_STREAM, ...data]);
        } else {
          await this.send([CTRL_CMD_STREAM, 0x21, w.c0, w.c1, 0x22, w.p0, w.p1]);
          await this.send([CTRL_DATA_STREAM, ...data]);
        }
        for (let p = w.p0; p <= w.p1; p++) for (let c = w.c0; c <= w.c1; c++) this.shadow[p * 128 + c] = next[p * 128 + c];
      }
    } catch (err) {
      this.shadow = null; // the glass is now in an unknown state
      throw err;
    }
  }

  async setDim(dim: boolean): Promise<void> {
    this.contrastNow = dim ? 0x01 : this.spec.contrast;
    await this.send([CTRL_CMD_STREAM, 0x81, this.contrastNow]);
  }

  async blank(): Promise<void> {
    await this.send([CTRL_CMD_STREAM, 0xae]);
  }

  async close(): Promise<void> {
    this.shadow = null;
    await this.link.close();
  }
}
