// Parsing of `--display KIND[:options]`. Every error names the option, the value given and what
// is allowed, because the daemon turns it into an exit-78 configuration error shown to a human.

export type PanelSize = '128x64' | '128x32' | '20x4' | '16x2';
export type PageName = 'cluster' | 'pi' | 'framework';
export const PANEL_SIZES: readonly PanelSize[] = ['128x64', '128x32', '20x4', '16x2'];
export const PAGE_NAMES: readonly PageName[] = ['cluster', 'pi', 'framework'];

/** HD44780 backpack wiring: which PCF8574 pin (0..7) drives each LCD line. */
export interface Pcf8574Pins {
  rs: number; rw: number; e: number; backlight: number; d4: number; d5: number; d6: number; d7: number;
}

interface I2cCommon {
  bus: number;
  address: number;
  pages: PageName[];
  /**
   * Seconds within which a panel that lost power (and came back in its reset state without any
   * write failing) shows the right picture again: the driver re-sends its configuration and a
   * slice of the picture in steps spread over this period. 0 turns it off.
   */
  refreshSeconds: number;
}

export interface OledSpec extends I2cCommon {
  kind: 'ssd1306' | 'sh1106';
  width: 128;
  height: 64 | 32;
  rotate: 0 | 180;
  contrast: number;
  /** First visible RAM column: 0 on the SSD1306, usually 2 on the SH1106's 132-column RAM. */
  columnOffset: number;
  /** 1-pixel burn-in shift every few minutes. */
  shift: boolean;
}

export interface Hd44780Spec extends I2cCommon {
  kind: 'hd44780';
  cols: 20 | 16;
  rows: 4 | 2;
  pins: Pcf8574Pins;
  backlight: boolean;
  /** The backpack lights the LCD when its backlight pin is low (a PNP switch), not high. */
  backlightActiveLow: boolean;
}

export interface TerminalSpec {
  kind: 'terminal';
  /** null: the text status for local mode; otherwise the panel's pixels/characters. */
  size: PanelSize | null;
  pages: PageName[];
}

export interface PngSpec {
  kind: 'png';
  path: string;
  size: PanelSize;
  scale: number;
  pages: PageName[];
}

export interface NoneSpec { kind: 'none' }

export type DisplaySpec = NoneSpec | TerminalSpec | PngSpec | OledSpec | Hd44780Spec;

const KINDS = ['terminal', 'png', 'none', 'ssd1306', 'sh1106', 'hd44780'];
export const DEFAULT_PINS: Pcf8574Pins = { rs: 0, rw: 1, e: 2, backlight: 3, d4: 4, d5: 5, d6: 6, d7: 7 };

function fail(kind: string, key: string, value: string, allowed: string): never {
  throw new Error(`display ${kind}: option ${key}=${JSON.stringify(value)} is not valid; allowed: ${allowed}`);
}

function parseOptions(kind: string, text: string, allowed: string[]): Map<string, string> {
  const opts = new Map<string, string>();
  if (text === '') return opts;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw new Error(`display ${kind}: option ${JSON.stringify(part)} is not KEY=VALUE; allowed keys: ${allowed.join(', ')}`);
    }
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (!allowed.includes(key)) {
      throw new Error(`display ${kind}: unknown option ${JSON.stringify(key)} (=${JSON.stringify(value)}); allowed keys: ${allowed.join(', ')}`);
    }
    if (opts.has(key)) fail(kind, key, value, 'each option once');
    opts.set(key, value);
  }
  return opts;
}

function intOpt(kind: string, opts: Map<string, string>, key: string, def: number, min: number, max: number, hex = false): number {
  const raw = opts.get(key);
  if (raw === undefined) return def;
  const ok = hex ? /^(0x[0-9a-f]+|\d+)$/i.test(raw) : /^\d+$/.test(raw);
  const v = ok ? Number(raw) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = key === 'address' ? `0x${min.toString(16)}..0x${max.toString(16)}` : `${min}..${max}`;
    fail(kind, key, raw, `an integer in ${range}`);
  }
  return v;
}

function choiceOpt<T extends string | number>(kind: string, opts: Map<string, string>, key: string, def: T, choices: readonly T[]): T {
  const raw = opts.get(key);
  if (raw === undefined) return def;
  const found = choices.find((c) => String(c) === raw.toLowerCase());
  if (found === undefined) fail(kind, key, raw, choices.join(' | '));
  return found;
}

function boolOpt(kind: string, opts: Map<string, string>, key: string, def: boolean): boolean {
  const raw = opts.get(key);
  if (raw === undefined) return def;
  const v = raw.toLowerCase();
  if (['on', 'yes', 'true', '1'].includes(v)) return true;
  if (['off', 'no', 'false', '0'].includes(v)) return false;
  fail(kind, key, raw, 'on | off');
}

function pagesOpt(kind: string, opts: Map<string, string>): PageName[] {
  const raw = opts.get('pages');
  if (raw === undefined) return [...PAGE_NAMES];
  const names = raw.split(/[+/ ]/).filter((s) => s !== '');
  if (names.length === 0 || names.some((n) => !PAGE_NAMES.includes(n as PageName))) {
    fail(kind, 'pages', raw, `one or more of ${PAGE_NAMES.join(', ')} joined by '+', e.g. pages=pi+cluster`);
  }
  return names as PageName[];
}

function pinsOpt(kind: string, opts: Map<string, string>): Pcf8574Pins {
  const raw = opts.get('pins');
  if (raw === undefined) return { ...DEFAULT_PINS };
  const ok = /^[0-7]{8}$/.test(raw) && new Set(raw).size === 8;
  if (!ok) fail(kind, 'pins', raw, 'eight distinct digits 0-7 giving the PCF8574 pin of RS,RW,E,backlight,D4,D5,D6,D7 (default 01234567)');
  const p = [...raw].map(Number);
  return { rs: p[0], rw: p[1], e: p[2], backlight: p[3], d4: p[4], d5: p[5], d6: p[6], d7: p[7] };
}

/** refresh=SECONDS: 0 (off) or 10..3600; default 60, the recovery bound issue 12 asks for. */
function refreshOpt(kind: string, opts: Map<string, string>): number {
  const raw = opts.get('refresh');
  if (raw === undefined) return 60;
  const v = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (v !== 0 && !(v >= 10 && v <= 3600)) fail(kind, 'refresh', raw, '0 (off) or seconds from 10 to 3600');
  return v;
}

export function parseDisplaySpec(text: string): DisplaySpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const kind = (colon < 0 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
  const rest = colon < 0 ? '' : trimmed.slice(colon + 1);
  switch (kind) {
    case 'none': {
      parseOptions(kind, rest, []);
      return { kind: 'none' };
    }
    case 'terminal': {
      const o = parseOptions(kind, rest, ['size', 'pages']);
      const size = o.has('size') ? choiceOpt(kind, o, 'size', '128x64', PANEL_SIZES) : null;
      return { kind: 'terminal', size, pages: pagesOpt(kind, o) };
    }
    case 'png': {
      // png:PATH[,key=value...] or png:path=PATH[,...]; a bare first item is the path.
      const parts = rest.split(',');
      let path: string | undefined;
      if (parts.length > 0 && parts[0] !== '' && !/^[a-z]+=/i.test(parts[0])) path = parts.shift();
      const o = parseOptions(kind, parts.join(','), ['path', 'size', 'scale', 'pages']);
      if (o.has('path')) {
        if (path !== undefined) fail(kind, 'path', o.get('path')!, 'the path given once');
        path = o.get('path');
      }
      if (path === undefined || path === '') {
        throw new Error(`display png: no file path given; use png:/path/to/frame.png`);
      }
      return {
        kind: 'png', path,
        size: choiceOpt(kind, o, 'size', '128x64', PANEL_SIZES),
        scale: intOpt(kind, o, 'scale', 4, 1, 16),
        pages: pagesOpt(kind, o),
      };
    }
    case 'ssd1306':
    case 'sh1106': {
      // offset is the SH1106's: its 132-column RAM is wider than the glass. An SSD1306 has none.
      const o = parseOptions(kind, rest, ['bus', 'address', 'height', 'rotate', 'contrast', ...(kind === 'sh1106' ? ['offset'] : []), 'shift', 'refresh', 'pages']);
      const height = kind === 'sh1106'
        ? choiceOpt(kind, o, 'height', 64, [64] as const)
        : choiceOpt(kind, o, 'height', 64, [64, 32] as const);
      return {
        kind, width: 128, height,
        bus: intOpt(kind, o, 'bus', 1, 0, 255),
        address: intOpt(kind, o, 'address', 0x3c, 0x03, 0x77, true),
        rotate: choiceOpt(kind, o, 'rotate', 0, [0, 180] as const),
        contrast: intOpt(kind, o, 'contrast', 0xcf, 0, 255, true),
        columnOffset: intOpt(kind, o, 'offset', kind === 'sh1106' ? 2 : 0, 0, kind === 'sh1106' ? 4 : 0),
        shift: boolOpt(kind, o, 'shift', true),
        refreshSeconds: refreshOpt(kind, o),
        pages: pagesOpt(kind, o),
      };
    }
    case 'hd44780': {
      const o = parseOptions(kind, rest, ['bus', 'address', 'cols', 'rows', 'pins', 'backlight', 'backlight-active', 'refresh', 'pages']);
      const cols = choiceOpt(kind, o, 'cols', 20, [20, 16] as const);
      const rows = choiceOpt(kind, o, 'rows', cols === 20 ? 4 : 2, [4, 2] as const);
      if (!((cols === 20 && rows === 4) || (cols === 16 && rows === 2))) {
        fail(kind, 'rows', String(rows), `cols=20,rows=4 or cols=16,rows=2 (got cols=${cols})`);
      }
      return {
        kind, cols, rows,
        bus: intOpt(kind, o, 'bus', 1, 0, 255),
        address: intOpt(kind, o, 'address', 0x27, 0x03, 0x77, true),
        pins: pinsOpt(kind, o),
        backlight: boolOpt(kind, o, 'backlight', true),
        backlightActiveLow: choiceOpt(kind, o, 'backlight-active', 'high', ['high', 'low'] as const) === 'low',
        refreshSeconds: refreshOpt(kind, o),
        pages: pagesOpt(kind, o),
      };
    }
    default:
      throw new Error(`display: unknown kind ${JSON.stringify(kind)} in ${JSON.stringify(text)}; allowed: ${KINDS.join(', ')} (e.g. ssd1306:bus=1,address=0x3c,height=64)`);
  }
}

/** The panel geometry a spec draws for, or null for the text status and none. */
export function specSize(spec: DisplaySpec): PanelSize | null {
  switch (spec.kind) {
    case 'none': return null;
    case 'terminal': return spec.size;
    case 'png': return spec.size;
    case 'ssd1306': case 'sh1106': return `128x${spec.height}` as PanelSize;
    case 'hd44780': return `${spec.cols}x${spec.rows}` as PanelSize;
  }
}
