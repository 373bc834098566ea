// What each page shows, laid out for each panel size. Pure: model in, frame out. Pixel layouts
// keep text on 8-row page boundaries so a changed line costs one page run on the bus, and leave
// the last column and row free so the burn-in shift loses nothing.
import { Canvas } from './canvas';
import { CharFrame, GLYPH_TILDE } from './char-frame';
import { largeDigits, smallFont, textWidth } from './fonts';
import { certifiedDecimals, clip, cpuFigure, formatCount, formatCpus, formatDuration, formatMem, memFigure, shortHost } from './format';
import { AgentView, DisplayModel } from './model';
import { PageName, PanelSize } from './spec';

export type Frame = { kind: 'pixel'; canvas: Canvas } | { kind: 'char'; chars: CharFrame };

export function renderPage(page: PageName | 'stopped', model: DisplayModel | null, size: PanelSize): Frame {
  if (size === '128x64' || size === '128x32') {
    const c = new Canvas(128, size === '128x64' ? 64 : 32);
    const tall = size === '128x64';
    if (page === 'stopped' || model === null) drawStopped(c, model);
    else if (page === 'cluster') (tall ? clusterTall : clusterShort)(c, model);
    else if (page === 'pi') piPixel(c, model, tall);
    else (tall ? frameworkTall : frameworkShort)(c, model);
    return { kind: 'pixel', canvas: c };
  }
  const f = size === '20x4' ? new CharFrame(20, 4) : new CharFrame(16, 2);
  if (page === 'stopped' || model === null) charStopped(f, model);
  else if (page === 'cluster') charCluster(f, model);
  else if (page === 'pi') charPi(f, model);
  else charFramework(f, model);
  return { kind: 'char', chars: f };
}

// ---- shared pieces ----

const COLS = 21; // 5x7 glyphs on a 6-pixel pitch across 127 usable columns

function frac(part: number, total: number): number {
  return total > 0 && Number.isFinite(part) ? Math.max(0, Math.min(1, part / total)) : 0;
}

/** Pixel bar: ours solid, others hatched, idle empty, inside an outline. */
function pixelBar(c: Canvas, x: number, y: number, w: number, h: number, ours: number, others: number): void {
  c.rect(x, y, w, h);
  const inner = w - 2;
  const a = Math.round(frac(ours, 1) * inner);
  const b = Math.min(inner - a, Math.round(frac(others, 1) * inner));
  c.fillRect(x + 1, y + 1, a, h - 2);
  c.hatchRect(x + 1 + a, y + 1, b, h - 2);
}

/** Legend swatch (solid, hatched, empty) followed by a figure; returns the pen x. */
function swatch(c: Canvas, x: number, y: number, style: 'ours' | 'others' | 'idle', text: string): number {
  c.rect(x, y + 1, 5, 5);
  if (style === 'ours') c.fillRect(x + 1, y + 2, 3, 3);
  if (style === 'others') c.hatchRect(x + 1, y + 2, 3, 3);
  return c.text(smallFont(), x + 7, y, text);
}

/**
 * Labels for agents in `width` characters: the short hostname when it fits, else what tells it
 * apart from the others (pi-node1..4 become node1..4 or 1..4).
 */
export function agentLabels(agents: AgentView[], width: number): string[] {
  const names = agents.map((a) => shortHost(a.hostname));
  if (names.every((n) => n.length <= width)) return names;
  let prefix = names.length > 1 ? names[0] : '';
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const suffixes = names.map((n) => n.slice(prefix.length));
  const distinct = new Set(suffixes).size === suffixes.length && suffixes.every((s) => s.length > 0);
  // The last word of the shared prefix names the kind of host: "pi-node" -> "node".
  const word = /([A-Za-z]+)[^A-Za-z]*$/.exec(prefix)?.[1] ?? '';
  return names.map((n, i) => {
    if (n.length <= width) return n;
    if (distinct) {
      const tail = word ? prefix.slice(prefix.lastIndexOf(word)) : '';
      for (const lead of [tail, word.slice(0, 1), '']) {
        if (lead.length + suffixes[i].length <= width) return lead + suffixes[i];
      }
    }
    return clip(n, width);
  });
}

function agentCpu(a: AgentView): string {
  return `${formatCpus(a.cpusUsedByUs + a.cpusUsedByOthers)}/${formatCpus(a.cpusTotal)}`;
}

function wrap(text: string, width: number, lines: number): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const out: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur === '') cur = w;
    else if (cur.length + 1 + w.length <= width) cur += ' ' + w;
    else { out.push(cur); cur = w; }
  }
  if (cur !== '') out.push(cur);
  if (out.length > lines) {
    const rest = out.slice(lines - 1).join(' ');
    out.length = lines - 1;
    out.push(clip(rest, width));
  }
  return out.map((l) => clip(l, width));
}

function line(c: Canvas, row: number, left: string, right = ''): void {
  const f = smallFont();
  c.text(f, 0, row * 8, clip(left, COLS - (right ? right.length + 1 : 0)));
  if (right) c.textRight(f, 126, row * 8, clip(right, COLS));
}

/** Drops filler words before clipping, so "no offers for 45s" keeps its number on 16 columns. */
export function abbreviate(text: string, width: number): string {
  if (text.length <= width) return text;
  const short = text.split(' ').filter((w) => !['for', 'the', 'a', 'an', 'are', 'is', 'to', 'of'].includes(w)).join(' ');
  return clip(short, width);
}

/** "in 4m12s": no '~' for "about", which on this page means "uncertain digits follow". */
function etaText(s: number | null): string {
  return s === null ? '?' : `in ${formatDuration(s)}`;
}

// ---- cluster ----

function clusterTall(c: Canvas, m: DisplayModel): void {
  const k = m.cluster;
  const f = smallFont();
  const idleCpu = Math.max(0, k.cpusTotal - k.cpusUsedByUs - k.cpusUsedByOthers);
  const idleMem = Math.max(0, k.memTotalMb - k.memUsedByUsMb - k.memUsedByOthersMb);
  c.text(f, 0, 0, 'CPU');
  pixelBar(c, 20, 0, 76, 7, frac(k.cpusUsedByUs, k.cpusTotal), frac(k.cpusUsedByOthers, k.cpusTotal));
  c.textRight(f, 126, 0, formatCpus(k.cpusTotal));
  let x = swatch(c, 0, 8, 'ours', formatCpus(k.cpusUsedByUs));
  x = swatch(c, Math.max(x + 4, 40), 8, 'others', formatCpus(k.cpusUsedByOthers));
  swatch(c, Math.max(x + 4, 80), 8, 'idle', formatCpus(idleCpu));
  c.text(f, 0, 16, 'MEM');
  pixelBar(c, 20, 16, 76, 7, frac(k.memUsedByUsMb, k.memTotalMb), frac(k.memUsedByOthersMb, k.memTotalMb));
  c.textRight(f, 126, 16, formatMem(k.memTotalMb));
  x = swatch(c, 0, 24, 'ours', formatMem(k.memUsedByUsMb));
  x = swatch(c, Math.max(x + 4, 40), 24, 'others', formatMem(k.memUsedByOthersMb));
  swatch(c, Math.max(x + 4, 80), 24, 'idle', formatMem(idleMem));
  const agents = k.agents;
  if (agents.length === 0) { line(c, 5, 'no agents'); return; }
  const rows = agents.length > 4 ? 3 : agents.length;
  const labels = agentLabels(agents, 8);
  for (let i = 0; i < rows; i++) {
    const a = agents[i];
    const y = 32 + i * 8;
    c.text(f, 0, y, labels[i]);
    if (!a.online) {
      // Inverse video makes a lost agent stand out at a glance.
      const x0 = 54;
      c.fillRect(x0 - 1, y, textWidth(f, 'OFFLINE') + 1, 8);
      c.text(f, x0, y, 'OFFLINE', false);
      continue;
    }
    c.text(f, 54, y, agentCpu(a));
    c.textRight(f, 126, y, formatMem(a.memUsedByUsMb + a.memUsedByOthersMb));
  }
  if (agents.length > 4) {
    const offline = agents.slice(3).filter((a) => !a.online).length;
    line(c, 7, `+${agents.length - 3} more${offline ? `, ${offline} OFFLINE` : ''}`);
  }
}

function clusterShort(c: Canvas, m: DisplayModel): void {
  const k = m.cluster;
  const f = smallFont();
  c.text(f, 0, 0, 'CPU');
  pixelBar(c, 20, 0, 76, 7, frac(k.cpusUsedByUs, k.cpusTotal), frac(k.cpusUsedByOthers, k.cpusTotal));
  c.textRight(f, 126, 0, formatCpus(k.cpusTotal));
  c.text(f, 0, 8, 'MEM');
  pixelBar(c, 20, 8, 76, 7, frac(k.memUsedByUsMb, k.memTotalMb), frac(k.memUsedByOthersMb, k.memTotalMb));
  c.textRight(f, 126, 8, formatMem(k.memTotalMb));
  const agents = k.agents;
  if (agents.length === 0) { line(c, 2, 'no agents'); return; }
  const cells = agents.length > 4 ? 3 : agents.length;
  const labels = agentLabels(agents, 4);
  for (let i = 0; i < cells; i++) {
    const a = agents[i];
    const x = (i % 2) * 66;
    const y = 16 + Math.floor(i / 2) * 8;
    const label = labels[i];
    const pen = c.text(f, x, y, label) + 3;
    if (!a.online) {
      c.fillRect(pen - 1, y, textWidth(f, 'OFF') + 1, 8);
      c.text(f, pen, y, 'OFF', false);
    } else c.text(f, pen, y, agentCpu(a));
  }
  if (agents.length > 4) c.text(f, 66, 24, `+${agents.length - 3} more`);
}

// ---- pi ----

/**
 * Certified digits large, the uncertain tail small and underlined with dots right after them. When
 * the digits outgrow the large font they wrap in the small one over up to `rows` text rows from
 * `wrapTop`, and beyond that the oldest digits give way: the newest are the ones that change.
 */
function piDigits(c: Canvas, m: DisplayModel, top: number, wrapTop: number, rows: number): void {
  const big = largeDigits();
  const f = smallFont();
  const { certified, uncertain } = m.pi;
  const bigW = textWidth(big, certified);
  const tailW = uncertain ? textWidth(f, uncertain) + 2 : 0;
  if (bigW <= 127) {
    const baseline = top + big.ascent;
    const x = c.text(big, 0, top, certified);
    if (!uncertain) return;
    let tx = x + 2;
    let ty = baseline - f.ascent;
    if (tx + tailW > 127) { tx = 127 - tailW; ty = baseline + 3; } // no room: below, to the right
    const end = c.text(f, tx, ty, uncertain);
    for (let dx = tx; dx < end - 1; dx += 2) c.set(dx, ty + f.ascent + 1);
    return;
  }
  // Wrapped: rows of small glyphs from the top of the area, the uncertain tail after a '~'.
  wrapDigits(certified, uncertain, COLS, rows).forEach((l, i) => c.text(f, 0, wrapTop + i * 8, l));
}

/** certified~uncertain cut into rows of `cols` characters; the last `rows` of them. */
function wrapDigits(certified: string, uncertain: string, cols: number, rows: number): string[] {
  const all = uncertain ? `${certified}~${uncertain}` : certified;
  const out: string[] = [];
  for (let i = 0; i < all.length; i += cols) out.push(all.slice(i, i + cols));
  return out.slice(-rows);
}

function piPixel(c: Canvas, m: DisplayModel, tall: boolean): void {
  const p = m.pi;
  if (tall) {
    line(c, 0, 'PI', `${certifiedDecimals(p.certified)} decimals sure`);
    piDigits(c, m, 10, 8, 3);
    line(c, 4, 'terms done', formatCount(p.termsDone));
    line(c, 5, 'terms/s', formatCount(p.termsPerSecond));
    line(c, 6, 'next digit', etaText(p.nextDigitEtaSeconds));
    if (p.termsComputed > p.termsDone) line(c, 7, 'computed', formatCount(p.termsComputed));
  } else {
    piDigits(c, m, 0, 0, 2);
    line(c, 2, `${formatCount(p.termsDone)} terms`, `${formatCount(p.termsPerSecond)}/s`);
    line(c, 3, 'next digit', etaText(p.nextDigitEtaSeconds));
  }
}

// ---- framework ----

function subscribedText(m: DisplayModel): string {
  const fw = m.framework;
  if (fw.mode === 'local') return 'LOCAL MODE';
  return fw.subscribed ? 'SUBSCRIBED' : 'NOT SUBSCRIBED';
}

function idleOrWorking(m: DisplayModel): string {
  const fw = m.framework;
  return fw.idleReason ?? `working: ${fw.tasksRunning} task${fw.tasksRunning === 1 ? '' : 's'}`;
}

function frameworkTall(c: Canvas, m: DisplayModel): void {
  const fw = m.framework;
  const f = smallFont();
  const sub = subscribedText(m);
  c.text(f, 0, 0, sub);
  if (fw.mode === 'mesos' && !fw.subscribed) c.invertRect(0, 0, textWidth(f, sub), 8);
  line(c, 1, 'master', fw.master ?? (fw.mode === 'local' ? 'local' : 'none'));
  line(c, 2, 'heartbeat', fw.heartbeatAgeSeconds === null ? '-' : `${formatDuration(fw.heartbeatAgeSeconds)} ago`);
  line(c, 3, 'tasks running', String(fw.tasksRunning));
  line(c, 4, 'tasks lost', String(fw.tasksLost));
  const why = wrap(fw.idleReason ? `idle: ${fw.idleReason}` : idleOrWorking(m), COLS, 2);
  why.forEach((l, i) => line(c, 6 + i, l));
}

function frameworkShort(c: Canvas, m: DisplayModel): void {
  const fw = m.framework;
  const f = smallFont();
  const sub = subscribedText(m);
  c.text(f, 0, 0, sub);
  if (fw.mode === 'mesos' && !fw.subscribed) c.invertRect(0, 0, textWidth(f, sub), 8);
  if (fw.heartbeatAgeSeconds !== null) c.textRight(f, 126, 0, `hb ${formatDuration(fw.heartbeatAgeSeconds)}`);
  line(c, 1, fw.master ?? (fw.mode === 'local' ? 'local workers' : 'no master'));
  line(c, 2, `tasks ${fw.tasksRunning} run`, `${fw.tasksLost} lost`);
  line(c, 3, abbreviate(fw.idleReason ? `idle: ${fw.idleReason}` : idleOrWorking(m), COLS));
}

// ---- stopped ----

function drawStopped(c: Canvas, m: DisplayModel | null): void {
  const f = smallFont();
  const title = 'pi-mesos STOPPED';
  const w = textWidth(f, title);
  const x = Math.floor((127 - w) / 2);
  const y = c.height === 64 ? 16 : 4;
  c.rect(x - 3, y - 3, w + 6, 13);
  c.text(f, x, y, title);
  if (m) {
    const digits = clip(m.pi.certified, COLS);
    c.text(f, Math.floor((127 - textWidth(f, digits)) / 2), y + 16, digits);
  }
}

// ---- characters ----

/**
 * Character cluster page. Rows 0 and 1: label, a bar, and "ours+others/total" right-aligned. The
 * figures are sized for the clusters pi-mesos runs on, from one Pi Zero (1 CPU, ~213M offered) to
 * twenty Pi 5s (80 CPUs, ~138G): at most 12 characters on a 20x4 ("63M+408M/24G", "77+2.5/80"),
 * 11 on a 16x2, where a wider memory figure gives every part in the total's unit ("0.1+0.4/24G").
 * The bars take what is left: 4 cells on a 20x4, 3 on a 16x2.
 */
function charCluster(fr: CharFrame, m: DisplayModel): void {
  const k = m.cluster;
  const wide = fr.cols === 20;
  const label = wide ? ['CPU', 'MEM'] : ['C', 'M'];
  const barW = wide ? 4 : 3;
  const figW = fr.cols - label[0].length - barW - 1;
  const figures = [
    cpuFigure(k.cpusUsedByUs, k.cpusUsedByOthers, k.cpusTotal, figW),
    memFigure(k.memUsedByUsMb, k.memUsedByOthersMb, k.memTotalMb, figW),
  ];
  const fracs = [
    [frac(k.cpusUsedByUs, k.cpusTotal), frac(k.cpusUsedByOthers, k.cpusTotal)],
    [frac(k.memUsedByUsMb, k.memTotalMb), frac(k.memUsedByOthersMb, k.memTotalMb)],
  ];
  for (let r = 0; r < 2; r++) {
    fr.put(r, 0, label[r]);
    fr.bar(r, label[r].length, barW, fracs[r][0], fracs[r][1]);
    fr.putRight(r, fr.cols, figures[r]);
  }
  if (fr.rows < 4) return;
  const agents = k.agents;
  if (agents.length === 0) { fr.put(2, 0, 'no agents'); return; }
  if (agents.length <= 2) {
    // A row each: room for the whole short hostname.
    const labels = agentLabels(agents, 12);
    agents.forEach((a, i) => {
      const right = a.online ? `${agentCpu(a)} ${formatMem(a.memUsedByUsMb + a.memUsedByOthersMb)}` : 'OFFLINE';
      fr.put(2 + i, 0, clip(labels[i], fr.cols - right.length - 1));
      fr.putRight(2 + i, fr.cols, right);
    });
    return;
  }
  const cells = agents.length > 4 ? 3 : agents.length;
  const labels = agentLabels(agents, 4);
  for (let i = 0; i < cells; i++) {
    const a = agents[i];
    const right = a.online ? agentCpu(a) : 'OFF';
    fr.put(2 + Math.floor(i / 2), (i % 2) * 10, `${clip(labels[i], 9 - right.length - 1)} ${right}`);
  }
  if (agents.length > 4) fr.put(3, 10, clip(`+${agents.length - 3} more`, 10));
}

/**
 * The digits on one row: certified, '~', uncertain. When they do not fit, the row keeps the newest
 * certified digits and two uncertain ones behind a '<', since those are the ones that change.
 */
function charDigits(m: DisplayModel, width: number): string {
  const { certified, uncertain } = m.pi;
  const full = uncertain ? `${certified}~${uncertain}` : certified;
  if (full.length <= width) return full;
  const end = uncertain ? `${certified}~${uncertain.slice(0, 2)}` : certified;
  return end.length <= width ? full.slice(0, width) : `<${end.slice(end.length - width + 1)}`;
}

/** The digits row: the one place the CGRAM '~' (uncertain digits follow) is written. */
function putDigits(fr: CharFrame, row: number, text: string): void {
  const tilde = text.indexOf('~');
  fr.put(row, 0, tilde < 0 ? text : text.slice(0, tilde));
  if (tilde < 0) return;
  fr.setCode(row, tilde, GLYPH_TILDE);
  fr.put(row, tilde + 1, text.slice(tilde + 1));
}

function charPi(fr: CharFrame, m: DisplayModel): void {
  const p = m.pi;
  putDigits(fr, 0, charDigits(m, fr.cols));
  if (fr.rows === 4) {
    fr.put(1, 0, 'terms'); fr.putRight(1, 20, formatCount(p.termsDone));
    fr.put(2, 0, 'terms/s'); fr.putRight(2, 20, formatCount(p.termsPerSecond));
    fr.put(3, 0, 'next digit'); fr.putRight(3, 20, etaText(p.nextDigitEtaSeconds));
    return;
  }
  const t = formatCount(p.termsDone);
  const r = `${formatCount(p.termsPerSecond)}/s`;
  const full = `${t} ${r} ${etaText(p.nextDigitEtaSeconds)}`;
  fr.put(1, 0, full.length <= 16 ? full : `${t} ${r}`);
}

function charFramework(fr: CharFrame, m: DisplayModel): void {
  const fw = m.framework;
  const hb = fw.heartbeatAgeSeconds === null ? '' : `hb ${formatDuration(fw.heartbeatAgeSeconds)}`;
  if (fr.rows === 4) {
    fr.put(0, 0, subscribedText(m));
    if (hb && subscribedText(m).length + hb.length < 20) fr.putRight(0, 20, hb);
    fr.put(1, 0, clip(fw.master ?? (fw.mode === 'local' ? 'local workers' : 'no master'), 20));
    fr.put(2, 0, `run ${fw.tasksRunning}  lost ${fw.tasksLost}`);
    fr.put(3, 0, abbreviate(idleOrWorking(m), 20));
    return;
  }
  const sub = fw.mode === 'local' ? 'LOCAL' : fw.subscribed ? 'SUB' : 'NOT SUB';
  fr.put(0, 0, clip(`${sub} r${fw.tasksRunning} l${fw.tasksLost}${hb ? ' ' + hb.replace(' ', '') : ''}`, 16));
  fr.put(1, 0, abbreviate(idleOrWorking(m), 16));
}

function charStopped(fr: CharFrame, m: DisplayModel | null): void {
  fr.put(0, 0, fr.cols === 20 ? 'pi-mesos  STOPPED' : 'pi-mesos STOPPED');
  if (m) fr.put(1, 0, clip(m.pi.certified, fr.cols));
}
