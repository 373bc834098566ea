// The text status for the terminal (local mode): everything on one screen, no page cycling, since
// a terminal has room. Pure functions so tests and the driver share them.
import { DisplayModel } from './model';
import { certifiedDecimals, formatCount, formatCpus, formatDuration, formatMem, shortHost } from './format';

export interface TextStyle {
  bold(s: string): string;
  dim(s: string): string;
  inverse(s: string): string;
}

export const ansiStyle: TextStyle = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  dim: (s) => `\x1b[2;4m${s}\x1b[22;24m`,
  inverse: (s) => `\x1b[7m${s}\x1b[27m`,
};

export const plainStyle: TextStyle = { bold: (s) => s, dim: (s) => s, inverse: (s) => s };

/** Certified digits, then the uncertain tail bracketed with a '?' so it is never read as right. */
export function piText(model: DisplayModel, style: TextStyle): string {
  const { certified, uncertain } = model.pi;
  const tail = uncertain ? style.dim(`[${uncertain}?]`) : '';
  return style.bold(certified) + tail;
}

function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const n = Math.round(f * width);
  return '#'.repeat(n) + '.'.repeat(width - n);
}

function stateLine(model: DisplayModel): string {
  const fw = model.framework;
  if (fw.mode === 'local') {
    return fw.idleReason ? `local mode: ${fw.idleReason}` : `local mode: ${fw.tasksRunning} task(s) running`;
  }
  const sub = fw.subscribed ? 'subscribed' : 'NOT subscribed';
  const hb = fw.heartbeatAgeSeconds === null ? '' : `, heartbeat ${formatDuration(fw.heartbeatAgeSeconds)} ago`;
  const master = fw.master ? ` to ${fw.master}` : '';
  return `${sub}${master}${hb}; tasks ${fw.tasksRunning} running, ${fw.tasksLost} lost`;
}

export function statusLines(model: DisplayModel, style: TextStyle, state: 'running' | 'stopped' = 'running'): string[] {
  const { pi, cluster, framework } = model;
  const lines: string[] = [];
  const title = `pi-mesos (${framework.mode})${state === 'stopped' ? ' - STOPPED' : ''}`;
  lines.push(state === 'stopped' ? style.inverse(title) : style.bold(title));
  lines.push('');
  lines.push(`  pi     ${piText(model, style)}`);
  // Stopped, nothing runs: an ETA or a rate would describe a run that is not there. A null ETA
  // (no rate measured yet, or the run is complete) is left out rather than shown as "unknown".
  const running = state === 'running';
  const eta = running && pi.nextDigitEtaSeconds !== null ? `; next digit in ~${formatDuration(pi.nextDigitEtaSeconds)}` : '';
  lines.push(`         ${certifiedDecimals(pi.certified)} certified decimals${eta}`);
  const beyond = pi.termsComputed > pi.termsDone ? ` (${formatCount(pi.termsComputed)} computed)` : '';
  const rate = running ? `, ${formatCount(pi.termsPerSecond)} terms/s` : '';
  lines.push(`  terms  ${formatCount(pi.termsDone)} done${beyond}${rate}`);
  const cpuFrac = cluster.cpusTotal > 0 ? cluster.cpusUsedByUs / cluster.cpusTotal : 0;
  const others = cluster.cpusUsedByOthers > 0 ? `, ${formatCpus(cluster.cpusUsedByOthers)} by others` : '';
  lines.push(`  CPU    [${bar(cpuFrac, 20)}] ${formatCpus(cluster.cpusUsedByUs)} of ${formatCpus(cluster.cpusTotal)} used by pi-mesos${others}`);
  if (framework.mode === 'mesos') {
    const memFrac = cluster.memTotalMb > 0 ? cluster.memUsedByUsMb / cluster.memTotalMb : 0;
    lines.push(`  mem    [${bar(memFrac, 20)}] ${formatMem(cluster.memUsedByUsMb)} of ${formatMem(cluster.memTotalMb)} used by pi-mesos, ${formatMem(cluster.memUsedByOthersMb)} by others`);
    for (const a of cluster.agents) {
      const name = shortHost(a.hostname).padEnd(12);
      if (!a.online) { lines.push(`    ${name} ${style.inverse('OFFLINE')}`); continue; }
      lines.push(`    ${name} cpu ${formatCpus(a.cpusUsedByUs + a.cpusUsedByOthers)}/${formatCpus(a.cpusTotal)}  mem ${formatMem(a.memUsedByUsMb + a.memUsedByOthersMb)}/${formatMem(a.memTotalMb)}`);
    }
  }
  lines.push('');
  lines.push(`  ${stateLine(model)}`);
  return lines;
}

/** One plain line for logs and pipes. */
export function statusLine(model: DisplayModel, state: 'running' | 'stopped' = 'running'): string {
  const { pi, cluster } = model;
  if (state === 'stopped') return `stopped: pi ${piText(model, plainStyle)} terms ${formatCount(pi.termsDone)}`;
  const eta = pi.nextDigitEtaSeconds === null ? '' : ` next digit ${formatDuration(pi.nextDigitEtaSeconds)}`;
  return `pi ${piText(model, plainStyle)} terms ${formatCount(pi.termsDone)} (${formatCount(pi.termsPerSecond)}/s) ` +
    `cpu ${formatCpus(cluster.cpusUsedByUs)}/${formatCpus(cluster.cpusTotal)}${eta}` +
    (model.framework.idleReason ? ` idle: ${model.framework.idleReason}` : '');
}
