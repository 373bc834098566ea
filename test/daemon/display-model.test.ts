import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../src/common/logger';
import { localFrameworkView } from '../../src/daemon/display-model';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';

describe('local framework view', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-view-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('names a retry backoff as the reason for idle workers, and nothing else', async () => {
    let now = 1_000_000;
    const fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger: silentLogger, targetTaskSeconds: 1, defaultRate: 320, now: () => now });
    // Idle at start (no task yet): no reason to show.
    expect(localFrameworkView(fw, 0).idleReason).to.equal(null);
    const r = fw.ledger.take(320)!;
    fw.ledger.launch('t1', [r], 'local');
    expect(localFrameworkView(fw, 1).idleReason).to.equal(null);
    fw.ledger.fail('t1', () => 5000);
    expect(localFrameworkView(fw, 0).idleReason).to.equal('waiting for a retry');
    now += 6000;
    fw.ledger.take(320);
    expect(localFrameworkView(fw, 0).idleReason).to.equal(null);
  });
});
