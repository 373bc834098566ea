import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../src/common/logger';
import { LocalBackend } from '../../src/framework/local-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';
import { waitFor } from '../support/wait';

describe('local backend', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-local-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('counts launches as they happen, apart from finishes, and fills every worker', async () => {
    // Tasks far longer than the test: none finishes while it looks.
    const fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger: silentLogger, targetTaskSeconds: 3600, defaultRate: 1e9 });
    const backend = new LocalBackend(fw, 2, silentLogger);
    await backend.start();
    try {
      await waitFor(() => backend.pool.running === 2, 10_000, 'both workers busy');
      expect(backend.tasksLaunched).to.equal(2);
      expect(fw.tasksFinished).to.equal(0);
      expect(fw.ledger.inFlightCount).to.equal(2);
    } finally {
      await backend.stop();
    }
  });
});
