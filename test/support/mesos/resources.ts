// Scalar resource arithmetic for the test master: enough for cpus, mem and disk.
import type { Resource } from '../../../src/mesos/types';

export type Quantities = Record<string, number>;

const NAMES = ['cpus', 'mem', 'disk'];

export function quantitiesOf(resources: readonly Resource[] | undefined): Quantities {
  const q: Quantities = {};
  for (const r of resources ?? []) {
    if (r.type === 'SCALAR' && r.scalar) q[r.name] = round((q[r.name] ?? 0) + r.scalar.value);
  }
  return q;
}

export function add(a: Quantities, b: Quantities): Quantities {
  const out: Quantities = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = round((out[k] ?? 0) + v);
  return out;
}

export function subtract(a: Quantities, b: Quantities): Quantities {
  const out: Quantities = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = round((out[k] ?? 0) - v);
  return out;
}

export function fits(need: Quantities, have: Quantities): boolean {
  return Object.entries(need).every(([k, v]) => v <= (have[k] ?? 0) + 1e-9);
}

/** Mesos offers only when at least 0.01 cpus or 32 MB of memory are free. */
export function allocatable(q: Quantities): boolean {
  return (q.cpus ?? 0) >= 0.01 || (q.mem ?? 0) >= 32;
}

export function toResources(q: Quantities, allocationRole?: string): Resource[] {
  const out: Resource[] = [];
  for (const name of [...NAMES, ...Object.keys(q).filter((k) => !NAMES.includes(k))]) {
    const v = q[name];
    if (v === undefined || v <= 0) continue;
    const r: Resource = { name, type: 'SCALAR', scalar: { value: v }, role: '*' };
    if (allocationRole !== undefined) r.allocation_info = { role: allocationRole };
    out.push(r);
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
