// `make soak [SEED=n] [MINUTES=m]`: one chaos soak (soak.ts) on a real Mesos cluster; exits 1 on a
// failure, with the seed to replay it. Then a second phase on the test master (double.ts). Flags
// --seed/--minutes/--agents/--double-minutes/--out, or SOAK_SEED, SOAK_MINUTES, SOAK_AGENTS,
// SOAK_DOUBLE_MINUTES, SOAK_OUT.
import { realMesosUnavailableReason } from '../support/mesos/real-cluster';
import { zooKeeperUnavailableReason } from '../support/zookeeper';
import { formatDoubleReport, runDoublePhase } from './double';
import { formatReport, runSoak } from './soak';

function option(name: string, env: string): string | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return process.env[env] || undefined;
}

async function main(): Promise<number> {
  const why = realMesosUnavailableReason() ?? zooKeeperUnavailableReason();
  if (why) {
    process.stderr.write(`soak: cannot run: ${why}\n`);
    return 2;
  }
  const seed = Number(option('seed', 'SOAK_SEED') ?? Math.floor(Math.random() * 2 ** 31));
  const minutes = Number(option('minutes', 'SOAK_MINUTES') ?? 30);
  const agents = Number(option('agents', 'SOAK_AGENTS') ?? 3);
  const doubleMinutes = Number(option('double-minutes', 'SOAK_DOUBLE_MINUTES') ?? 3);
  if (!Number.isInteger(seed) || !(minutes > 0) || !Number.isInteger(agents) || agents < 1) {
    process.stderr.write('soak: --seed is an integer, --minutes a positive number, --agents a positive integer\n');
    return 2;
  }
  process.stdout.write(`soak: seed ${seed}, ${minutes} min (replay: make soak SEED=${seed} MINUTES=${minutes})\n`);
  // Ctrl-C or a SIGTERM ends the soak the long way round: its cluster, ZooKeeper, daemon and mount go too.
  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort());
  const report = await runSoak({ seed, minutes, agents, outDir: option('out', 'SOAK_OUT'), signal: abort.signal });
  process.stdout.write(`${formatReport(report)}\n`);
  if (!(doubleMinutes > 0) || abort.signal.aborted) return report.ok ? 0 : 1;
  // Second phase: what only the test master makes on demand (duplicated and held-back updates).
  process.stdout.write(`soak: phase 2, ${doubleMinutes} min on the test master\n`);
  const double = await runDoublePhase(seed, doubleMinutes * 60, (l) => process.stdout.write(`${l}\n`));
  process.stdout.write(`${formatDoubleReport(double)}\n`);
  // The verdict last, where a reader of a long report looks first.
  const ok = report.ok && double.ok;
  process.stdout.write(`\nsoak ${ok ? 'PASSED' : 'FAILED'}: seed ${seed}, ${minutes} min on a real Mesos (${report.ok ? 'passed' : 'failed'}), `
    + `${doubleMinutes} min on the test master (${double.ok ? 'passed' : 'failed'})\n`);
  if (!ok) process.stdout.write(`replay: make soak SEED=${seed} MINUTES=${minutes}\n`);
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`soak: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
