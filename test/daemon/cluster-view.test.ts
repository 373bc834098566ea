import { expect } from 'chai';
import { ClusterTracker, ourUse } from '../../src/daemon/cluster-view';
import type { AgentResources } from '../../src/mesos/operator';

const TASK = { cpus: 0.95, memMb: 32 };
const EXECUTOR = { cpus: 0.05, memMb: 96 };

function agent(id: string, allocatedCpus: number, allocatedMem: number): AgentResources {
  return {
    id, hostname: `${id}.lan`, active: true,
    total: { cpus: 4, mem: 4096, disk: 0, gpus: 0 },
    allocated: { cpus: allocatedCpus, mem: allocatedMem, disk: 0, gpus: 0 },
  } as AgentResources;
}

describe('cluster page: our use versus others\'', () => {
  it('counts our idle executor as ours: GET_AGENTS includes executors in allocated_resources', () => {
    // pi-1: our idle executor only; pi-2: the executor and two tasks; pi-3: another framework's task.
    const use = ourUse([['pi-1', EXECUTOR], ['pi-2', EXECUTOR]], [{ agentId: 'pi-2' }, { agentId: 'pi-2' }], TASK, EXECUTOR);
    const view = new ClusterTracker().update([agent('pi-1', 0.05, 96), agent('pi-2', 1.95, 160), agent('pi-3', 1, 512)], use);
    const by = new Map(view.agents.map((a) => [a.id, a]));
    expect(by.get('pi-1')).to.include({ cpusUsedByUs: 0.05, cpusUsedByOthers: 0, memUsedByUsMb: 96, memUsedByOthersMb: 0 });
    expect(by.get('pi-2')).to.include({ cpusUsedByUs: 1.95, cpusUsedByOthers: 0, memUsedByUsMb: 160, memUsedByOthersMb: 0 });
    expect(by.get('pi-3')).to.include({ cpusUsedByUs: 0, cpusUsedByOthers: 1, memUsedByOthersMb: 512 });
  });

  it('charges the executor with the first task on an agent whose executor is not known yet', () => {
    const use = ourUse([], [{ agentId: 'pi-1' }], TASK, EXECUTOR);
    expect(use.byAgent.get('pi-1')).to.deep.equal({ cpus: 1, memMb: 128 });
  });

  it('shows an agent named by its address whole, and a host name by its first label', () => {
    const view = new ClusterTracker().update([
      { ...agent('a1', 0, 0), hostname: '127.0.0.1' },
      { ...agent('a2', 0, 0), hostname: '127.0.0.2' },
      { ...agent('a3', 0, 0), hostname: 'pi-3.cluster.lan' },
    ], ourUse([], [], TASK, EXECUTOR));
    expect(view.agents.map((a) => a.hostname).sort()).to.deep.equal(['127.0.0.1', '127.0.0.2', 'pi-3']);
  });

  it('lists the agents in the order of their host names, whatever order the master gave', () => {
    const view = new ClusterTracker().update([
      { ...agent('a1', 0, 0), hostname: 'pi-b' },
      { ...agent('a2', 0, 0), hostname: 'pi-10' },
      { ...agent('a3', 0, 0), hostname: 'pi-a' },
      { ...agent('a4', 0, 0), hostname: 'pi-1' },
    ], ourUse([], [], TASK, EXECUTOR));
    expect(view.agents.map((a) => a.hostname)).to.deep.equal(['pi-1', 'pi-10', 'pi-a', 'pi-b']);
  });
});
