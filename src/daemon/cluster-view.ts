import * as net from 'net';
import { compareCodePoints } from '../common/compare';
import type { AgentResources } from '../mesos/operator';
import { AgentView, ClusterView } from '../display/model';

export interface OurUse {
  /** Our CPUs and memory in use on each agent, by agent id. */
  byAgent: Map<string, { cpus: number; memMb: number }>;
}

const round = (x: number): number => Math.round(x * 100) / 100;

/**
 * Our share of each agent: every live executor of ours (GET_AGENTS counts executors in
 * allocated_resources, idle or not) plus the tasks in flight. Without the idle executors, their
 * CPUs and memory would show as another framework's use.
 */
export function ourUse(
  executors: Iterable<[agentId: string, share: { cpus: number; memMb: number }]>,
  tasks: Iterable<{ agentId: string }>,
  task: { cpus: number; memMb: number },
  executor: { cpus: number; memMb: number },
): OurUse {
  const byAgent = new Map<string, { cpus: number; memMb: number }>();
  for (const [agentId, share] of executors) byAgent.set(agentId, { ...share });
  for (const t of tasks) {
    const u = byAgent.get(t.agentId) ?? { ...executor };
    byAgent.set(t.agentId, { cpus: u.cpus + task.cpus, memMb: u.memMb + task.memMb });
  }
  return { byAgent };
}

/**
 * The cluster page from the master's GET_AGENTS answer and what pi-mesos itself runs: "used by
 * others" is what the master has allocated minus our share. Agents seen before and now missing or
 * inactive stay listed, marked offline, so a lost Pi is visible rather than silently gone.
 */
export class ClusterTracker {
  private readonly known = new Map<string, AgentView>();

  update(agents: AgentResources[], ours: OurUse): ClusterView {
    const present = new Set<string>();
    for (const a of agents) {
      present.add(a.id);
      const mine = ours.byAgent.get(a.id) ?? { cpus: 0, memMb: 0 };
      this.known.set(a.id, {
        id: a.id,
        // A host name's first label fits a panel; an address cut at its first dot would be "127".
        hostname: net.isIP(a.hostname) ? a.hostname : a.hostname.split('.')[0],
        online: a.active,
        cpusTotal: a.total.cpus,
        cpusUsedByUs: round(Math.min(mine.cpus, a.total.cpus)),
        cpusUsedByOthers: round(Math.max(0, a.allocated.cpus - mine.cpus)),
        memTotalMb: a.total.mem,
        memUsedByUsMb: Math.round(Math.min(mine.memMb, a.total.mem)),
        memUsedByOthersMb: Math.round(Math.max(0, a.allocated.mem - mine.memMb)),
      });
    }
    for (const [id, v] of this.known) {
      if (!present.has(id)) this.known.set(id, { ...v, online: false, cpusUsedByUs: 0, cpusUsedByOthers: 0, memUsedByUsMb: 0, memUsedByOthersMb: 0 });
    }
    return this.view();
  }

  view(): ClusterView {
    // Code-point order, not localeCompare: hostnames are ASCII, and a collator maps ICU's data into
    // the daemon (about 3 MB of RSS on a Pi that has little).
    const agents = [...this.known.values()].sort((a, b) => compareCodePoints(a.hostname, b.hostname));
    const online = agents.filter((a) => a.online);
    const sum = (f: (a: AgentView) => number): number => round(online.reduce((s, a) => s + f(a), 0));
    return {
      cpusTotal: sum((a) => a.cpusTotal),
      cpusUsedByUs: sum((a) => a.cpusUsedByUs),
      cpusUsedByOthers: sum((a) => a.cpusUsedByOthers),
      memTotalMb: sum((a) => a.memTotalMb),
      memUsedByUsMb: sum((a) => a.memUsedByUsMb),
      memUsedByOthersMb: sum((a) => a.memUsedByOthersMb),
      agents,
    };
  }
}
