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

/** Clip to width, marking the cut. */
export function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}~`;
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
