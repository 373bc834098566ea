// The soak's second phase, on the test master (test/support/mesos): the faults a real Mesos will
// not produce on demand. Status updates duplicated by the master, updates held back and then
// delivered in a burst (a stalled link: the agents' retries, every 300 ms here, pile up behind
// it), reset connections, and the daemon killed meanwhile. Then the same exact check as the real
// phase. Needs neither root nor a Mesos tarball.
import { RunningDaemon, startDaemon } from '../support/daemon-process';
import { readFrameworkState, startPiTestBed, uninterruptedSum } from '../support/pi-cluster';
import { seededRandom } from '../support/random';
import { referencePi } from '../support/reference-pi';
import { certify } from '../../src/pi/certify';
import { scaleFor } from '../../src/pi/precision';
import { DEFAULT_PRECISION } from '../../src/daemon/config';
import { CutProxy } from './proxy';

export interface DoubleReport {
  seed: number;
  seconds: number;
  ok: boolean;
  failures: string[];
  faults: Record<string, number>;
  duplicatesSent: number;
  daemonStarts: number;
  terms: number;
  warnings: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runDoublePhase(seed: number, seconds: number, say: (l: string) => void = () => undefined): Promise<DoubleReport> {
  const rnd = seededRandom(seed ^ 0x5eed);
  const report: DoubleReport = { seed, seconds, ok: false, failures: [], faults: {}, duplicatesSent: 0, daemonStarts: 0, terms: 0, warnings: {} };
  const bump = (m: Record<string, number>, k: string): void => { m[k] = (m[k] ?? 0) + 1; };
  const fail = (why: string): void => { report.failures.push(why); say(`double: FAILURE: ${why}`); };
  // Slow executors (duty 0.05): the in-process sum at the end stays short.
  const bed = await startPiTestBed({ statusUpdateRetryMs: 300 }, [
    { cpus: 1, mem: 512, duty: 0.05 }, { cpus: 2, mem: 1024, duty: 0.05 }, { cpus: 2, mem: 1024, duty: 0.05 },
  ]);
  const master = bed.cluster.masters[0].address;
  const [host, port] = [master.slice(0, master.lastIndexOf(':')), Number(master.slice(master.lastIndexOf(':') + 1))];
  const proxy = new CutProxy(() => ({ host, port }));
  let daemon: RunningDaemon | undefined;
  const outputs: string[] = [];
  try {
    const proxyPort = await proxy.start();
    const args = (extra: string[] = []): string[] => [
      '--master', `127.0.0.1:${proxyPort}`, '--executor', `command:${bed.launcher}`, '--display', 'none', '--http', 'off',
      '--state-dir', bed.stateDir, '--target-task-seconds', '3', '--target-range-seconds', '0.5', '--executor-duty', '0.05',
      '--failover-timeout', '1h', '--log-level', 'info', ...extra,
    ];
    const start = (extra: string[] = []): RunningDaemon => {
      report.daemonStarts++;
      const d = startDaemon(args(extra));
      outputs.push('');
      const i = outputs.length - 1;
      d.child.stdout!.on('data', () => { outputs[i] = d.output(); });
      d.child.stderr!.on('data', () => { outputs[i] = d.output(); });
      return d;
    };
    daemon = start();
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await sleep(500 + rnd() * 2500);
      const r = rnd();
      if (r < 0.35) {
        const n = 1 + Math.floor(rnd() * 20);
        bed.cluster.faults.duplicateUpdates += n;
        report.duplicatesSent += n;
        bump(report.faults, 'duplicated updates');
      } else if (r < 0.65) {
        // Updates and acknowledgements stall, then arrive all at once.
        bump(report.faults, 'updates held back');
        proxy.setMode('silent');
        await sleep(300 + rnd() * 3000);
        proxy.setMode('open');
      } else if (r < 0.85) {
        bump(report.faults, 'connection reset');
        proxy.setMode('reset');
        await sleep(100 + rnd() * 1000);
        proxy.setMode('open');
      } else {
        bump(report.faults, 'daemon kill -9');
        daemon.child.kill('SIGKILL');
        await daemon.exited;
        daemon = start();
      }
      if (daemon.child.exitCode !== null) fail(`the daemon exited by itself (${daemon.child.exitCode})`);
    }
    bed.cluster.faults.duplicateUpdates = 0;
    daemon.child.kill('SIGTERM');
    const stopped = await daemon.exited;
    if (stopped.code !== 0) fail(`the daemon exited ${stopped.code ?? stopped.signal} on SIGTERM`);
    const before = await readFrameworkState(bed.stateDir);
    const frontier = Math.max(before?.ledger.frontier ?? 0, 1);
    const unit = 2 ** Math.max(14, Math.floor(Math.log2(frontier)) - 3);
    const max = (Math.floor(frontier / unit) + 2) * unit;
    say(`double: faults over; running to --max-terms ${max}`);
    daemon = start(['--max-terms', String(max)]);
    const done = await Promise.race([daemon.exited, sleep(300_000).then(() => undefined)]);
    if (!done) fail(`the daemon did not reach ${max} terms within 300 s`);
    else if (done.code !== 0) fail(`the final run exited ${done.code ?? done.signal}`);
    const s = await readFrameworkState(bed.stateDir);
    if (s && done?.code === 0) {
      report.terms = s.ledger.prefixEnd;
      const whole = uninterruptedSum(max);
      if (s.ledger.prefixEnd !== max) fail(`prefix ends at ${s.ledger.prefixEnd}, not ${max}`);
      if (s.ledger.prefixValue !== whole.value.toString() || s.ledger.prefixErrUnits !== whole.errUnits.toString()) fail('the sum differs from the fault-free one');
      const cert = certify(s.ledger.prefixEnd, BigInt(s.ledger.prefixValue), BigInt(s.ledger.prefixErrUnits), scaleFor(DEFAULT_PRECISION).bits);
      if (!cert.certified || !referencePi(DEFAULT_PRECISION + 10).startsWith(cert.certified)) fail(`certified ${cert.certified} is not a prefix of π`);
    }
  } finally {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    await proxy.stop();
    await bed.cleanup();
  }
  for (const out of outputs) {
    for (const m of out.matchAll(/^\S+ (ERROR|WARN)\s+(.*)$/gm)) {
      bump(report.warnings, `${m[1]} ${m[2].replace(/pi\.\d+\.\d+\.\d+\.[0-9a-z]+/g, 'TASK').replace(/\d+(\.\d+)?/g, 'N').slice(0, 140)}`);
    }
  }
  report.ok = report.failures.length === 0;
  return report;
}

export function formatDoubleReport(r: DoubleReport): string {
  const lines = [`double phase ${r.ok ? 'PASSED' : 'FAILED'}: seed ${r.seed}, ${r.seconds} s on the test master; ${r.terms} terms exact; ${r.daemonStarts} daemon starts; ${r.duplicatesSent} updates sent twice`];
  for (const [k, v] of Object.entries(r.faults)) lines.push(`  ${String(v).padStart(6)}  ${k}`);
  lines.push('warnings and errors by kind:');
  for (const [k, v] of Object.entries(r.warnings).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(v).padStart(6)}  ${k}`);
  for (const f of r.failures) lines.push(`FAILURE: ${f}`);
  return lines.join('\n');
}
