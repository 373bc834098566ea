import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WorkerPool } from '../../src/executor/worker-pool';
import { encodeTask } from '../../src/executor/task-codec';

describe('executor worker threads', () => {
  it('do not see the executor authentication token the agent gives the executor', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-worker-env-'));
    // A worker that reports what it sees as its failure message.
    const script = path.join(dir, 'report-env.js');
    await fs.writeFile(script, "require('worker_threads').parentPort.on('message', () => { "
      + "throw new Error(`token=${process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN ?? 'none'} path=${process.env.PATH ? 'set' : 'unset'}`); });\n");
    process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN = 'secret-token';
    const pool = new WorkerPool(1, { script });
    try {
      const outcome = await pool.run('t1', encodeTask({ rangeId: '0+32', start: 0, count: 32, digits: 20 }));
      expect(outcome.kind).to.equal('failed');
      expect((outcome as { message: string }).message).to.contain('token=none').and.contain('path=set');
    } finally {
      delete process.env.MESOS_EXECUTOR_AUTHENTICATION_TOKEN;
      await pool.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
