import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scaleFor } from '../../src/pi/precision';
import { sumRange } from '../../src/pi/range-sum';
import { startDaemon } from '../support/daemon-process';
import { readFrameworkState as readState } from '../support/pi-cluster';
import { waitFor } from '../support/wait';

describe('local mode as a real process: kill -9 and resume', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-crash-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('loses no range and counts none twice', async () => {
    const maxTerms = 240_000_000;
    const args = ['--master', 'local[2]', '--display', 'none', '--state-dir', dir, '--max-terms', String(maxTerms), '--target-task-seconds', '1', '--http', 'off'];
    const first = startDaemon(args);
    // Mid-run: some ranges finished and others in flight, per the checkpoint on disk.
    const atKill = await waitFor(async () => {
      const s = await readState(dir);
      return s && s.ledger.prefixEnd > 0 && s.ledger.inFlight.length > 0 ? s : undefined;
    }, 60_000, 'a checkpoint with finished and in-flight ranges');
    first.child.kill('SIGKILL');
    const how = await first.exited;
    expect(how.signal).to.equal('SIGKILL');
    expect(atKill.ledger.prefixEnd).to.be.below(maxTerms);

    const second = startDaemon(args);
    const end = await second.exited;
    expect(end.code, second.output()).to.equal(0);
    expect(second.output()).to.match(/resumed from checkpoint/);
    expect(second.output()).to.match(/requeued \d+ ranges that were in flight/);

    const final = (await readState(dir))!;
    expect(final.ledger.prefixEnd).to.equal(maxTerms);
    expect(final.ledger.inFlight).to.deep.equal([]);
    expect(final.ledger.ahead).to.deep.equal([]);
    // Exactly the uninterrupted sum: nothing lost, nothing counted twice.
    const whole = sumRange({ start: 0, count: maxTerms }, scaleFor(20));
    expect(final.ledger.prefixValue).to.equal(whole.value.toString());
    expect(final.ledger.prefixErrUnits).to.equal(whole.errUnits.toString());
  });

  it('checkpoints on SIGTERM and exits 0, and the next start continues from there', async () => {
    const args = ['--master', 'local[1]', '--display', 'none', '--state-dir', dir, '--max-terms', '64000000', '--target-task-seconds', '1', '--http', 'off'];
    const d = startDaemon(args);
    await waitFor(async () => ((await readState(dir))?.ledger.prefixEnd ?? 0) > 0, 60_000, 'first finished range');
    d.child.kill('SIGTERM');
    const how = await d.exited;
    expect(how.code, d.output()).to.equal(0);
    expect(d.output()).to.match(/SIGTERM: stopping/);
    const s = (await readState(dir))!;
    const again = startDaemon(args);
    expect((await again.exited).code).to.equal(0);
    const final = (await readState(dir))!;
    expect(final.ledger.prefixEnd).to.equal(64_000_000);
    expect(final.ledger.prefixEnd).to.be.at.least(s.ledger.prefixEnd);
    expect(final.ledger.prefixValue).to.equal(sumRange({ start: 0, count: 64_000_000 }, scaleFor(20)).value.toString());
  });
});
