// Small helpers over Mesos Resource lists: the framework sizes tasks from offers with them and
// the display sums agent capacity with them.
import type { Resource } from './types';

export interface ScalarSummary {
  cpus: number;
  /** Megabytes. */
  mem: number;
  /** Megabytes. */
  disk: number;
  gpus: number;
}

/** Sum of the scalar resource `name` (e.g. "cpus", "mem"), over all roles and reservations. */
export function scalarSum(resources: readonly Resource[] | undefined, name: string): number {
  let total = 0;
  for (const r of resources ?? []) {
    if (r.name === name && r.type === 'SCALAR' && r.scalar) total += r.scalar.value;
  }
  // Mesos keeps scalars to three decimals; summing floats must not invent more.
  return Math.round(total * 1000) / 1000;
}

export function summarizeResources(resources: readonly Resource[] | undefined): ScalarSummary {
  return {
    cpus: scalarSum(resources, 'cpus'),
    mem: scalarSum(resources, 'mem'),
    disk: scalarSum(resources, 'disk'),
    gpus: scalarSum(resources, 'gpus'),
  };
}

/** A SCALAR resource; `role` sets allocation_info (what MULTI_ROLE frameworks send back). */
export function scalarResource(name: string, value: number, role?: string): Resource {
  const r: Resource = { name, type: 'SCALAR', scalar: { value } };
  if (role !== undefined) r.allocation_info = { role };
  return r;
}
