import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scaleFor } from '../../src/pi/precision';
import { DEFAULT_PRECISION } from '../../src/daemon/config';
import { sumRange } from '../../src/pi/range-sum';
import { startDaemon } from '../support/daemon-process';
import { readFrameworkState as readState } from '../support/pi-cluster';
import { waitFor } from '../support/wait';

describe('local mode as a real process: kill -9 and resume', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-crash-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  // The first run has no --max-terms: however fast the kernel, it is still running when killed.
  // The second run ends where the first had handed out work (its checkpointed frontier), so it
  // must finish what was in flight and lose nothing.
  const args = (workers: number, extra: string[] = []): string[] => [
    '--master', `local[${workers}]`, '--display', 'none', '--state-dir', dir, '--target-task-seconds', '1', '--http', 'off', ...extra,
  ];

  it('loses no range and counts none twice', async () => {
    const first = startDaemon(args(2));
    // Mid-run: some ranges finished and others in flight, per the checkpoint on disk.
    await waitFor(async () => {
      const s = await readState(dir);
      return s && s.ledger.prefixEnd > 0 && s.ledger.inFlight.length > 0 ? s : undefined;
    }, 60_000, 'a checkpoint with finished and in-flight ranges');
    first.child.kill('SIGKILL');
    const how = await first.exited;
    expect(how.signal).to.equal('SIGKILL');
    const atKill = (await readState(dir))!;
    expect(atKill.ledger.inFlight.length).to.be.above(0);
    const maxTerms = atKill.ledger.frontier;
    expect(atKill.ledger.prefixEnd).to.be.below(maxTerms);

    const second = startDaemon(args(2, ['--max-terms', String(maxTerms)]));
    const end = await second.exited;
    expect(end.code, second.output()).to.equal(0);
    expect(second.output()).to.match(/resumed from checkpoint/);
    expect(second.output()).to.match(/requeued \d+ ranges that were in flight/);

    const final = (await readState(dir))!;
    expect(final.ledger.prefixEnd).to.equal(maxTerms);
    expect(final.ledger.inFlight).to.deep.equal([]);
    expect(final.ledger.ahead).to.deep.equal([]);
    // Exactly the uninterrupted sum: nothing lost, nothing counted twice.
    const whole = sumRange({ start: 0, count: maxTerms }, scaleFor(DEFAULT_PRECISION));
    expect(final.ledger.prefixValue).to.equal(whole.value.toString());
    expect(final.ledger.prefixErrUnits).to.equal(whole.errUnits.toString());
  });

  it('checkpoints on SIGTERM and exits 0, and the next start continues from there', async () => {
    const d = startDaemon(args(1));
    await waitFor(async () => ((await readState(dir))?.ledger.prefixEnd ?? 0) > 0, 60_000, 'first finished range');
    d.child.kill('SIGTERM');
    const how = await d.exited;
    expect(how.code, d.output()).to.equal(0);
    expect(d.output()).to.match(/SIGTERM: stopping/);
    const s = (await readState(dir))!;
    // Everything handed out lies below the checkpointed frontier.
    const maxTerms = s.ledger.frontier;
    const again = startDaemon(args(1, ['--max-terms', String(maxTerms)]));
    expect((await again.exited).code).to.equal(0);
    const final = (await readState(dir))!;
    expect(final.ledger.prefixEnd).to.equal(maxTerms);
    expect(final.ledger.prefixEnd).to.be.at.least(s.ledger.prefixEnd);
    expect(final.ledger.prefixValue).to.equal(sumRange({ start: 0, count: maxTerms }, scaleFor(DEFAULT_PRECISION)).value.toString());
  });
});
