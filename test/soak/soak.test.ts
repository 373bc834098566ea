// The chaos soak's short run in the normal suite: two minutes of seeded faults on a real Mesos 1.12
// cluster in a real ZooKeeper, then the exact check (soak.ts). `make soak` runs the long one.
import { expect } from 'chai';
import * as fs from 'fs';
import { realMesosUnavailableReason } from '../support/mesos/real-cluster';
import { zooKeeperUnavailableReason } from '../support/zookeeper';
import { formatReport, runSoak, schedule } from './soak';

const UNAVAILABLE = realMesosUnavailableReason() ?? zooKeeperUnavailableReason();
/** Fixed: a failure here replays with `make soak SEED=20261130 MINUTES=2`. */
const SEED = 20261130;
const MINUTES = 2;

describe('chaos soak', () => {
  it('draws the same fault schedule from the same seed, and another from another', () => {
    const a = schedule(SEED, 1800, 45, 15);
    expect(schedule(SEED, 1800, 45, 15)).to.deep.equal(a);
    expect(schedule(SEED + 1, 1800, 45, 15)).to.not.deep.equal(a);
    expect(a.length).to.be.greaterThan(60);
    expect(new Set(a.map((f) => f.kind)).size, 'every kind of fault in half an hour').to.be.at.least(12);
    expect(a.every((f) => f.at >= 45 && f.at < 45 + 1800)).to.equal(true);
  });

  describe(`${MINUTES} minutes of seeded faults on a real Mesos in a real ZooKeeper (${UNAVAILABLE ? `skipped: ${UNAVAILABLE}` : `seed ${SEED}`})`, function () {
    // Warm-up, faults, the final stretch to a round count, and the in-process sum.
    this.timeout(20 * 60_000);
    before(function () {
      if (UNAVAILABLE) this.skip();
    });

    it('loses and doubles nothing: the exact sum of [0, N) equals the fault-free one, the digits a prefix of π', async () => {
      const lines: string[] = [];
      const report = await runSoak({ seed: SEED, minutes: MINUTES, warmupSeconds: 30, say: (l) => lines.push(l) });
      const text = formatReport(report);
      expect(report.failures, `${text}\n${lines.join('\n')}`).to.deep.equal([]);
      expect(report.ok).to.equal(true);
      expect(report.terms).to.be.greaterThan(0);
      expect(Object.values(report.faults).reduce((a, b) => a + b, 0), text).to.be.at.least(4);
      expect(report.certified).to.match(/^3\.14159/);
      // Logs stay only when something failed.
      fs.rmSync(report.outDir, { recursive: true, force: true });
    });
  });
});
