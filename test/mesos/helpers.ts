// Shared set-up for the mesos tests: a cluster with fast timers and a scheduler client on it.
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { MasterDetector } from '../../src/mesos/detector';
import { SchedulerClient, SchedulerClientOptions } from '../../src/mesos/scheduler';
import type { ExecutorInfo, Offer, TaskInfo } from '../../src/mesos/types';
import { TestClusterOptions, TestMesosCluster } from '../support/mesos/cluster';

export const TEST_EXECUTOR = path.resolve(__dirname, '../support/mesos/test-executor.js');

export function fastCluster(options: TestClusterOptions = {}): TestMesosCluster {
  return new TestMesosCluster({
    heartbeatIntervalSeconds: 0.1,
    allocationIntervalMs: 20,
    statusUpdateRetryMs: 200,
    ...options,
  });
}

export function fastClient(master: SchedulerClientOptions['master'], options: Partial<SchedulerClientOptions> = {}): SchedulerClient {
  return new SchedulerClient({
    master,
    framework: { user: 'nobody', name: 'pi-mesos test', failover_timeout: 60, checkpoint: true },
    backoff: { initialMs: 20, maxMs: 200 },
    subscribeTimeoutMs: 2000,
    logger: new MemoryLogger(),
    ...options,
  });
}

export function testExecutorInfo(id = 'test-executor'): ExecutorInfo {
  return {
    type: 'CUSTOM',
    executor_id: { value: id },
    name: 'test executor',
    command: { value: process.execPath, arguments: ['node', TEST_EXECUTOR], shell: false },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 32 } }],
  };
}

let taskSeq = 0;
export function testTask(offer: Offer, instruction: object, executor = testExecutorInfo()): TaskInfo {
  const id = `task-${process.pid}-${taskSeq++}`;
  return {
    name: id,
    task_id: { value: id },
    agent_id: offer.agent_id,
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }],
    executor,
    data: Buffer.from(JSON.stringify(instruction)),
  };
}

/**
 * A master detector the test steers, as ZooKeeper would: `leader` is the one candidate (none when
 * unset), `why` what it says when it cannot know one. Emit 'leader' to tell the client of a change.
 */
export class StubDetector extends MasterDetector {
  readonly description = 'zk://zk1:2181/mesos';
  leader: string | undefined;
  why: string | undefined;
  candidates(): string[] { return this.leader ? [this.leader] : []; }
  override get problem(): string | undefined { return this.why; }
}
