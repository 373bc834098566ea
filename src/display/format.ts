// Short number formats shared by every layout: panels have 16 to 21 columns, so each figure must
// stay within a few characters and never jump between widths more than it must.

/** 950 -> "950", 12345 -> "12.3k", 1.5e9 -> "1.50G". At most 5 characters below 1e15. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n < 1000) return String(Math.round(n));
  const units = ['k', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v >= 999.5 && u < units.length - 1) { v /= 1000; u++; }
  const digits = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
  return v.toFixed(digits) + units[u];
}

/** Seconds to "45s", "4m12s", "3h05m", "2d04h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
  if (s < 100 * 86400) return `${Math.floor(s / 86400)}d${pad2(Math.floor((s % 86400) / 3600))}h`;
  return `${Math.floor(s / 86400)}d`;
}

function pad2(n: number): string { return n < 10 ? `0${n}` : String(n); }

/** CPUs: "4", "3.5", "0.1". */
export function formatCpus(c: number): string {
  if (!Number.isFinite(c)) return '?';
  if (Math.abs(c - Math.round(c)) < 0.05) return String(Math.round(c));
  return c.toFixed(1);
}

/** Memory in MB: "512M", "1.5G", "15G". */
export function formatMem(mb: number): string {
  if (!Number.isFinite(mb) || mb < 0) return '?';
  if (mb < 1000) return `${Math.round(mb)}M`;
  const g = mb / 1024;
  return g < 9.95 ? `${g.toFixed(1)}G` : `${Math.round(g)}G`;
}

/** The short form of a hostname: its first label. */
export function shortHost(hostname: string): string {
  const dot = hostname.indexOf('.');
  // An IP address has no meaningful first label; keep its last two octets instead.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(hostname)) return hostname.split('.').slice(2).join('.');
  return dot > 0 ? hostname.slice(0, dot) : hostname;
}

/**
 * Marks text cut at the right edge. Not '~': on the Pi page that means "uncertain digits follow",
 * and a clipped figure must never read as one. An arrow is in the HD44780's A00 ROM (0x7E) and in
 * the small pixel font's extra glyphs.
 */
export const CUT_MARK = '→';

/** Clip to width, marking the cut with CUT_MARK. */
export function clip(text: string, width: number): string {
  if ([...text].length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}${CUT_MARK}`;
}

/** CPUs in at most 3 characters below 1000: one decimal below 10 ("3.5"), whole numbers above ("77"). */
export function cpuShort(c: number): string {
  if (!Number.isFinite(c) || c < 0) return '?';
  return c < 9.95 ? formatCpus(c) : String(Math.round(c));
}

/** The first candidate that fits in width, else the last one clipped. */
function firstFitting(candidates: string[], width: number): string {
  return candidates.find((c) => c.length <= width) ?? clip(candidates[candidates.length - 1], width);
}

/**
 * CPUs as "ours+others/total" in at most `width` characters: with one decimal where it fits,
 * whole numbers from 10 when not, and "ours/total" (others left to the bar) as the last resort.
 * E.g. 7.5, 2, 12 -> "7.5+2/12"; 77, 2.5, 80 -> "77+2.5/80".
 */
export function cpuFigure(ours: number, others: number, total: number, width: number): string {
  return firstFitting([
    `${formatCpus(ours)}+${formatCpus(others)}/${formatCpus(total)}`,
    `${cpuShort(ours)}+${cpuShort(others)}/${cpuShort(total)}`,
    `${cpuShort(ours)}/${cpuShort(total)}`,
  ], width);
}

/** Megabytes in G (one decimal below 9.95 G, whole above) or M below 1000 MB: number and unit. */
function memParts(mb: number): [string, 'M' | 'G'] {
  if (!Number.isFinite(mb) || mb < 0) return ['?', 'M'];
  if (Math.round(mb) < 1000) return [String(Math.round(mb)), 'M'];
  const g = mb / 1024;
  return [g < 9.95 ? String(Number(g.toFixed(1))) : String(Math.round(g)), 'G'];
}

/**
 * Megabytes in the given unit, at most 3 characters below 1000 of it: "0.1", "4.7", "15", "138";
 * `whole` rounds from 1 up as well ("4", "9"), for the tightest rows.
 */
function memIn(mb: number, unit: 'M' | 'G', whole = false): string {
  if (!Number.isFinite(mb) || mb < 0) return '?';
  if (unit === 'M') return String(Math.round(mb));
  const g = mb / 1024;
  return g < (whole ? 0.95 : 9.95) ? String(Number(g.toFixed(1))) : String(Math.round(g));
}

/**
 * Memory as "ours+others/total" in at most `width` characters, the unit written once where the
 * parts share the total's: "3.4+4.7/15G", "63M+408M/24G", "128+0/213M"; when that is too wide,
 * every part in the total's unit ("0.1+0.4/24G"), then whole numbers of it from 1 ("4+9/138G"),
 * then "ours/total".
 */
export function memFigure(ours: number, others: number, total: number, width: number): string {
  const [tn, tu] = memParts(total);
  const part = (mb: number): string => {
    const [n, u] = memParts(mb);
    return u === tu ? n : n + u;
  };
  return firstFitting([
    `${part(ours)}+${part(others)}/${tn}${tu}`,
    `${memIn(ours, tu)}+${memIn(others, tu)}/${tn}${tu}`,
    `${memIn(ours, tu, true)}+${memIn(others, tu, true)}/${tn}${tu}`,
    `${memIn(ours, tu, true)}/${tn}${tu}`,
  ], width);
}

export function padRight(text: string, width: number): string {
  const t = clip(text, width);
  return t + ' '.repeat(width - t.length);
}

export function padLeft(text: string, width: number): string {
  const t = clip(text, width);
  return ' '.repeat(width - t.length) + t;
}

/** The number of certified digits after the decimal point. */
export function certifiedDecimals(certified: string): number {
  const dot = certified.indexOf('.');
  return dot < 0 ? 0 : certified.length - dot - 1;
}

/**
 * A rate as shown to people: an exponential average over about `tauMs` of the rates fed in, so
 * that a rate measured from completions (which arrive in steps) does not jump on every redraw.
 * A rate of 0 (nothing measured, or nothing running) is shown at once and restarts the average.
 */
export class RateSmoother {
  private value = 0;
  private at = 0;

  constructor(private readonly tauMs = 5000) {}

  /** Feeds `raw` (per second) seen at `atMs` (ms, any monotonic origin); returns the smoothed rate. */
  next(raw: number, atMs: number): number {
    if (!(raw > 0) || !Number.isFinite(raw)) {
      this.value = 0;
    } else if (this.value === 0) {
      this.value = raw;
    } else {
      const dt = Math.max(0, atMs - this.at);
      this.value += (raw - this.value) * (1 - Math.exp(-dt / this.tauMs));
    }
    this.at = atMs;
    return this.value;
  }
}
