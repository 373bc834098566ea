// Resource arithmetic for the test master, as Mesos does it (src/common/resources.cpp,
// src/v1/resources.cpp): scalar resources keyed by name, reservations (the post-refinement stack of
// ReservationInfo) and allocation role. Two entries add up only when all three agree, and
// `contains` compares each such kind on its own: 1 cpu reserved for "pi" does not cover 1
// unreserved cpu, nor does a cpu allocated to role "a" cover one allocated to "b".
import type { Resource } from '../../../src/mesos/types';

export interface Reservation { type: 'STATIC' | 'DYNAMIC'; role: string; principal?: string }

/** One scalar resource in the master's own (post-refinement) form. */
export interface MRes {
  name: string;
  value: number;
  reservations: Reservation[];
  /** AllocationInfo.role, when allocated to (or offered for) a role. */
  allocRole?: string;
}

export type Quantities = Record<string, number>;

/** Mesos keeps scalars at three decimals (Value::Scalar fixed point). */
function fixed(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function kindKey(r: MRes): string {
  return JSON.stringify([r.name, r.reservations.map((x) => [x.type, x.role, x.principal ?? null]), r.allocRole ?? null]);
}

/** Adds b to a (a new list; entries of one kind merge, in first-seen order, as Resources::add). */
export function addRes(a: readonly MRes[], b: readonly MRes[]): MRes[] {
  const out = a.map((r) => ({ ...r }));
  for (const r of b) {
    const same = out.find((x) => kindKey(x) === kindKey(r));
    if (same) same.value = fixed(same.value + r.value);
    else if (r.value > 0) out.push({ ...r, value: fixed(r.value) });
  }
  return out.filter((r) => r.value > 0);
}

/** a − b, per kind (entries that drop to zero go away). */
export function subtractRes(a: readonly MRes[], b: readonly MRes[]): MRes[] {
  const out = a.map((r) => ({ ...r }));
  for (const r of b) {
    const same = out.find((x) => kindKey(x) === kindKey(r));
    if (same) same.value = fixed(same.value - r.value);
  }
  return out.filter((r) => r.value > 1e-9);
}

/** Resources::contains: every kind of `need` is held in `have` in at least that amount. */
export function containsRes(have: readonly MRes[], need: readonly MRes[]): boolean {
  const merged = addRes([], need);
  return merged.every((r) => {
    const h = have.filter((x) => kindKey(x) === kindKey(r)).reduce((s, x) => s + x.value, 0);
    return fixed(h) + 1e-9 >= r.value;
  });
}

/** Without allocation info (what the agent holds). */
export function unallocated(rs: readonly MRes[]): MRes[] {
  return addRes([], rs.map((r) => ({ ...r, allocRole: undefined })));
}

export function withAllocation(rs: readonly MRes[], role: string): MRes[] {
  return rs.map((r) => ({ ...r, allocRole: role }));
}

/** The role a resource is reserved for ('*' when unreserved). */
export function reservedRole(r: MRes): string {
  return r.reservations.length > 0 ? r.reservations[r.reservations.length - 1].role : '*';
}

/** What of `rs` role `role` may be offered: unreserved resources and those reserved for it. */
export function allocatableTo(rs: readonly MRes[], role: string): MRes[] {
  return rs.filter((r) => reservedRole(r) === '*' || reservedRole(r) === role);
}

/**
 * A scheduler's Resource upgraded as the master does (validateAndUpgradeResources): the
 * pre-refinement `role`/`reservation` become `reservations`; role "*" or none is unreserved.
 */
export function fromProto(resources: readonly Resource[] | undefined): MRes[] {
  const out: MRes[] = [];
  for (const r of resources ?? []) {
    if (r.type !== 'SCALAR' || !r.scalar) continue;
    let reservations: Reservation[];
    if (r.reservations && r.reservations.length > 0) {
      reservations = r.reservations.map((x) => ({
        type: x.type === 'STATIC' ? 'STATIC' : 'DYNAMIC', role: x.role ?? '*', ...(x.principal ? { principal: x.principal } : {}),
      }));
    } else if (r.role !== undefined && r.role !== '*') {
      reservations = [{
        type: r.reservation ? 'DYNAMIC' : 'STATIC', role: r.role,
        ...(r.reservation?.principal ? { principal: r.reservation.principal } : {}),
      }];
    } else {
      reservations = [];
    }
    const m: MRes = { name: r.name, value: fixed(r.scalar.value), reservations };
    if (r.allocation_info?.role !== undefined) m.allocRole = r.allocation_info.role;
    out.push(m);
  }
  return out;
}

/**
 * As offered to a framework (master.cpp Master::offer): allocation info only for MULTI_ROLE
 * frameworks, and the pre-refinement format (role "*" or the reserved role, `reservation` for
 * dynamic ones) for frameworks without RESERVATION_REFINEMENT.
 */
export function toProto(rs: readonly MRes[], opts: { multiRole: boolean; refinement?: boolean }): Resource[] {
  return rs.map((r) => {
    const out: Resource = { name: r.name, type: 'SCALAR', scalar: { value: r.value } };
    if (opts.multiRole && r.allocRole !== undefined) out.allocation_info = { role: r.allocRole };
    if (opts.refinement) {
      if (r.reservations.length > 0) {
        out.reservations = r.reservations.map((x) => ({ type: x.type, role: x.role, ...(x.principal ? { principal: x.principal } : {}) }));
      }
    } else {
      const top = r.reservations[r.reservations.length - 1];
      out.role = top ? top.role : '*';
      if (top?.type === 'DYNAMIC') out.reservation = top.principal ? { principal: top.principal } : {};
    }
    return out;
  });
}

/** Resources as Mesos prints them (operator<< for Resource/Resources): `cpus(allocated: pi)(reservations: [(STATIC,pi)]):0.5; …`. */
export function formatRes(rs: readonly MRes[]): string {
  if (rs.length === 0) return '{}';
  return rs.map((r) => {
    let s = r.name;
    if (r.allocRole !== undefined) s += `(allocated: ${r.allocRole})`;
    if (r.reservations.length > 0) {
      s += `(reservations: [${r.reservations.map((x) => `(${x.type},${x.role}${x.principal ? `,${x.principal}` : ''})`).join(',')}])`;
    }
    return `${s}:${formatScalar(r.value)}`;
  }).join('; ');
}

/** A double as C++ streams it with precision 15 (default float notation). */
export function formatScalar(v: number): string {
  return String(Number(fixed(v).toPrecision(15)));
}

/**
 * Parses an agent's --resources flag ("cpus(pi):2;mem(pi):2048;cpus:2;mem:2048"): scalar entries,
 * `name(role):value`, role reservations static.
 */
export function parseAgentResources(spec: string): MRes[] {
  const out: MRes[] = [];
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z_][\w.-]*)(?:\(([^)]*)\))?:([0-9.]+)$/.exec(part);
    if (!m) throw new Error(`test agent: cannot parse resource '${part}' (scalar name(role):value only)`);
    const role = m[2] ?? '*';
    out.push({ name: m[1], value: Number(m[3]), reservations: role === '*' ? [] : [{ type: 'STATIC', role }] });
  }
  return addRes([], out);
}

/** Totals per name, whatever the reservation (for metrics and the display). */
export function quantitiesOf(resources: readonly Resource[] | readonly MRes[] | undefined): Quantities {
  const q: Quantities = {};
  for (const r of resources ?? []) {
    const value = 'value' in r ? r.value : (r.type === 'SCALAR' && r.scalar ? r.scalar.value : undefined);
    if (value !== undefined) q[r.name] = fixed((q[r.name] ?? 0) + value);
  }
  return q;
}

/**
 * The allocator offers only what is worth offering (hierarchical.cpp `allocatable`, with the
 * default --min_allocatable_resources "cpus:0.01|mem:32").
 */
export function allocatable(rs: readonly MRes[]): boolean {
  const q = quantitiesOf(rs);
  return (q.cpus ?? 0) >= 0.01 || (q.mem ?? 0) >= 32;
}

/** Scalar quantities as unreserved Resources (GET_AGENTS' view). */
export function toResources(q: Quantities): Resource[] {
  const names = ['cpus', 'mem', 'disk'];
  const out: Resource[] = [];
  for (const name of [...names, ...Object.keys(q).filter((k) => !names.includes(k))]) {
    const v = q[name];
    if (v === undefined || v <= 0) continue;
    out.push({ name, type: 'SCALAR', scalar: { value: v }, role: '*' });
  }
  return out;
}
