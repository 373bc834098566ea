// The soak's phase on the test master (double.ts), short, with a fixed seed: status updates sent
// twice, held back and delivered in bursts, reset connections and kill -9 of the daemon; then the
// exact sum. Runs anywhere (no root, no Mesos tarball); `make soak` runs a longer one.
import { expect } from 'chai';
import { formatDoubleReport, runDoublePhase } from './double';

describe('chaos soak on the test master: duplicated and held-back status updates', function () {
  this.timeout(300_000);

  it('counts every range once through 20 s of seeded faults a real Mesos will not make on demand', async () => {
    const lines: string[] = [];
    const r = await runDoublePhase(20261130, 20, (l) => lines.push(l));
    const text = `${formatDoubleReport(r)}\n${lines.join('\n')}`;
    expect(r.failures, text).to.deep.equal([]);
    expect(r.terms, text).to.be.greaterThan(0);
    expect(r.duplicatesSent, text).to.be.greaterThan(0);
  });
});
