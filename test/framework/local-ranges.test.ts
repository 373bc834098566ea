import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';

describe('tasks of one range (local mode: no targetRangeSeconds)', () => {
  it('plans one range a task even when that range is short (a retry of a small range)', async () => {
    const dirs: string[] = [];
    const open = async (targetRangeSeconds?: number): Promise<PiFramework> => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-local-ranges-'));
      dirs.push(dir);
      const fw = await PiFramework.open({ scale: scaleFor(32), stateDir: dir, logger: new MemoryLogger(), targetTaskSeconds: 10, targetRangeSeconds, defaultRate: 1e9 });
      // A small range failed once: it waits in the queue, far shorter than a task's worth.
      const r = fw.ledger.take(64)!;
      fw.ledger.launch('t0', [r], 'local');
      fw.ledger.fail('t0', () => 0);
      return fw;
    };
    try {
      const local = await open();
      const [t] = local.plan('local', 1);
      expect([t.task.start, t.task.count]).to.deep.equal([0, 64]);
      expect(t.task.more).to.equal(undefined);
      // On Mesos (targetRangeSeconds) the same task goes on with fresh ranges up to its length.
      const mesos = await open(10);
      expect(mesos.plan('a', 1)[0].task.more?.length).to.be.greaterThan(0);
    } finally {
      for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
    }
  });
});
