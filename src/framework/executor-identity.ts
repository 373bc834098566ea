// Which executor a task goes to. Mesos refuses a task whose ExecutorInfo differs from that of a
// live executor with the same ExecutorID (master/validation.cpp, "ExecutorInfo is not compatible
// with existing ExecutorInfo with same ExecutorID"), and charges an executor's resources once,
// while it lives, listing it in Offer.executor_ids. So the ExecutorID is a digest of everything
// the ExecutorInfo holds: a changed URL, port, kind, setting or version gives a new executor
// beside the old one (which idles out), never a task refused, nor one run by old code.
import { createHash } from 'crypto';
import type { CommandInfo, ExecutorInfo, Offer, Resource } from '../mesos/types';
import { canonicalJson, OfferPool } from './offer-resources';

export const EXECUTOR_ID_PREFIX = 'pi-mesos-executor-';

/** An ExecutorInfo without its resources and ID: what this daemon's configuration decides. */
export interface ExecutorTemplate {
  name: string;
  command: CommandInfo;
  /** CPUs the executor process itself holds (Node.js and idle worker threads). */
  cpus: number;
  /** Megabytes. */
  memMb: number;
}

/** The ExecutorInfo of `template` holding `resources`, with the ID derived from both. */
export function executorInfoFor(template: ExecutorTemplate, resources: Resource[]): ExecutorInfo {
  const body = { type: 'CUSTOM' as const, name: template.name, command: template.command, resources };
  const digest = createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16);
  return { executor_id: { value: EXECUTOR_ID_PREFIX + digest }, ...body };
}

export function isOurExecutorId(id: string): boolean {
  return id.startsWith(EXECUTOR_ID_PREFIX);
}

export interface ExecutorChoice {
  info: ExecutorInfo;
  /** True when the executor already runs on the agent (its resources are not in the offer). */
  live: boolean;
}

/**
 * Picks the ExecutorInfo for the tasks of one offer: the live executor of this configuration if
 * the offer lists one, else a new one whose resources are carved from the offer.
 */
export class ExecutorChooser {
  /** Every ExecutorInfo this daemon built or recognised, by ID. */
  private readonly known = new Map<string, ExecutorInfo>();

  constructor(private readonly template: ExecutorTemplate, private readonly role: string) {}

  /** An ExecutorInfo seen before, by ID (e.g. the one a task was launched with). */
  get(id: string): ExecutorInfo | undefined {
    return this.known.get(id);
  }

  choose(offer: Offer, pool: OfferPool): ExecutorChoice | null {
    const live = new Set((offer.executor_ids ?? []).map((e) => e.value).filter(isOurExecutorId));
    for (const id of live) {
      const info = this.known.get(id);
      if (info) return { info, live: true };
    }
    if (live.size > 0) {
      // After a restart of this daemon: rebuild the shapes a previous run could have carved.
      for (const info of this.candidates(pool)) {
        if (live.has(info.executor_id.value)) {
          this.known.set(info.executor_id.value, info);
          return { info, live: true };
        }
      }
    }
    const taken = pool.take({ cpus: this.template.cpus, mem: this.template.memMb }, true);
    if (!taken) return null;
    const info = executorInfoFor(this.template, taken);
    this.known.set(info.executor_id.value, info);
    return { info, live: false };
  }

  private candidates(pool: OfferPool): ExecutorInfo[] {
    const synthetic = (name: string): Resource[] => [
      { name, type: 'SCALAR', role: '*', allocation_info: { role: this.role } },
      { name, type: 'SCALAR', role: this.role, allocation_info: { role: this.role } },
    ];
    const out: ExecutorInfo[] = [];
    for (const c of [...pool.kinds('cpus'), ...synthetic('cpus')]) {
      for (const m of [...pool.kinds('mem'), ...synthetic('mem')]) {
        out.push(executorInfoFor(this.template, [
          { ...c, scalar: { value: this.template.cpus } },
          { ...m, scalar: { value: this.template.memMb } },
        ]));
      }
    }
    return out;
  }
}
