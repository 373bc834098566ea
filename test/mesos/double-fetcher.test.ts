import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { SchedulerClient } from '../../src/mesos/scheduler';
import type { ExecutorInfo, Offer, TaskStatus } from '../../src/mesos/types';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { fastClient, fastCluster, TEST_EXECUTOR, testTask } from './helpers';

describe('test double: agent fetcher (CommandInfo.uris)', function () {
  this.timeout(15000);
  let dir: string;
  let server: http.Server;
  let base: string;
  let cluster: TestMesosCluster;
  let client: SchedulerClient | undefined;
  let updates: TaskStatus[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-fetch-'));
    const launcher = `#!/bin/sh\nexec "${process.execPath}" "${TEST_EXECUTOR}" "$@"\n`;
    fs.writeFileSync(path.join(dir, 'run-executor'), launcher);
    fs.mkdirSync(path.join(dir, 'bundle', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'bundle', 'bin', 'run'), launcher, { mode: 0o755 });
    execFileSync('tar', ['-czf', path.join(dir, 'bundle.tar.gz'), '-C', dir, 'bundle']);
    server = http.createServer((req, res) => {
      const file = path.join(dir, path.basename(req.url ?? ''));
      if (!fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await cluster?.stop();
  });

  async function launchWith(executor: ExecutorInfo): Promise<string> {
    cluster = fastCluster();
    await cluster.start();
    await cluster.addAgent({ cpus: 2, mem: 512 });
    client = fastClient(cluster.masterSpec);
    updates = [];
    const c = client;
    c.on('update', (s) => {
      updates.push(s);
      void c.acknowledge(s);
    });
    const offered = nextEvent<[Offer[]]>(c, 'offers');
    c.start();
    const [offers] = await offered;
    const task = testTask(offers[0], { mode: 'finish', result: 'fetched' }, executor);
    await c.launch([offers[0].id], [task]);
    return task.task_id.value;
  }

  const executor = (command: ExecutorInfo['command']): ExecutorInfo => ({
    type: 'CUSTOM', executor_id: { value: 'fetched-executor' }, command,
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }],
  });

  it('downloads an executable URI into the sandbox and runs it by relative path', async () => {
    const id = await launchWith(executor({
      value: './run-executor', arguments: ['run-executor'], shell: false,
      uris: [{ value: `${base}/run-executor`, executable: true }],
    }));
    await waitFor(() => updates.some((u) => u.task_id.value === id && u.state === 'TASK_FINISHED'), 8000, 'TASK_FINISHED');
  });

  it('extracts an archive URI into the sandbox', async () => {
    const id = await launchWith(executor({
      value: 'bundle/bin/run', shell: true,
      uris: [{ value: `${base}/bundle.tar.gz`, extract: true }],
    }));
    await waitFor(() => updates.some((u) => u.task_id.value === id && u.state === 'TASK_FINISHED'), 8000, 'TASK_FINISHED');
  });

  it('fails the task with REASON_CONTAINER_LAUNCH_FAILED when a URI cannot be fetched', async () => {
    const id = await launchWith(executor({
      value: './missing', shell: false, uris: [{ value: `${base}/missing`, executable: true }],
    }));
    await waitFor(() => updates.some((u) => u.task_id.value === id), 8000, 'an update');
    expect(updates[0]).to.include({ state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED', source: 'SOURCE_AGENT' });
    expect(updates[0].message).to.match(/HTTP 404/);
  });
});
