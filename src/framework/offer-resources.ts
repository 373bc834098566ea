// Carving tasks and executors out of one offer. Mesos accepts a launch only if the offer contains
// every Resource the task and its executor ask for, compared with role, reservation and
// allocation_info (master/validation.cpp: `offered.contains(total)`, "Total resources … required
// by task and its executor is more than available …"). Fresh `cpus:0.95` entries match nothing
// on an agent whose CPUs are reserved for our role, so every piece handed out here is a copy of
// one of the offer's own entries with a smaller scalar.
import type { Resource } from '../mesos/types';

/** Mesos keeps scalars to three decimals (Value::Scalar arithmetic rounds to 0.001). */
const EPSILON = 0.0005;

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** What makes two entries of one name different resources to Mesos: everything but the amount. */
export function resourceKind(r: Resource): string {
  const { scalar: _s, ranges: _r, set: _set, ...rest } = r;
  return canonicalJson(rest);
}

/** JSON with object keys sorted, so equal messages give equal text. */
export function canonicalJson(v: unknown): string {
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('base64'));
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Reserved entries first (they are ours alone), then the shared pool. */
function preference(r: Resource, role: string): number {
  const reservedTo = r.reservations?.length ? r.reservations[r.reservations.length - 1].role : r.role;
  if (reservedTo && reservedTo !== '*' && reservedTo === role) return 0;
  if (reservedTo && reservedTo !== '*') return 1;
  return 2;
}

/**
 * The usable scalar entries of an offer, consumed as tasks are carved from it. Revocable and
 * shared resources, disks and resources of resource providers are left alone: a range task wants
 * plain CPU and memory that stays until it ends.
 */
export class OfferPool {
  private readonly entries: { r: Resource; left: number }[];

  constructor(resources: readonly Resource[] | undefined, private readonly role: string) {
    this.entries = (resources ?? [])
      .filter((r) => r.type === 'SCALAR' && r.scalar && !r.revocable && !r.shared && !r.provider_id && !r.disk)
      .map((r) => ({ r, left: r.scalar!.value }))
      .sort((a, b) => preference(a.r, role) - preference(b.r, role));
  }

  /** What is left of `name`, over all entries. */
  available(name: string): number {
    return round3(this.entries.filter((e) => e.r.name === name).reduce((s, e) => s + e.left, 0));
  }

  /**
   * Takes `need` of each named scalar, all or nothing: copies of the offer's entries holding the
   * amounts taken, or null (and nothing taken) when the offer lacks any of them. `singleEntry`
   * takes each name from one entry only (an executor's resources then have a stable shape).
   */
  take(need: Record<string, number>, singleEntry = false): Resource[] | null {
    const plan: { e: { r: Resource; left: number }; amount: number }[] = [];
    for (const [name, amount] of Object.entries(need)) {
      let rest = round3(amount);
      const candidates = this.entries.filter((e) => e.r.name === name && e.left > EPSILON);
      if (singleEntry) {
        const one = candidates.find((e) => e.left + EPSILON >= rest);
        if (!one) return null;
        plan.push({ e: one, amount: rest });
        continue;
      }
      for (const e of candidates) {
        if (rest <= EPSILON) break;
        const amountHere = round3(Math.min(e.left, rest));
        plan.push({ e, amount: amountHere });
        rest = round3(rest - amountHere);
      }
      if (rest > EPSILON) return null;
    }
    // Several pieces of one entry (two names never share one) merge into one Resource.
    const out: Resource[] = [];
    for (const { e, amount } of plan) {
      e.left = round3(e.left - amount);
      out.push({ ...e.r, scalar: { value: amount } });
    }
    return out;
  }

  /** Gives back what take() returned (a plan that did not go ahead). */
  giveBack(taken: readonly Resource[]): void {
    for (const t of taken) {
      const e = this.entries.find((x) => x.r.name === t.name && resourceKind(x.r) === resourceKind(t));
      if (e) e.left = round3(e.left + (t.scalar?.value ?? 0));
    }
  }

  /** The distinct shapes (everything but the amount) of the entries named `name`. */
  kinds(name: string): Resource[] {
    const seen = new Map<string, Resource>();
    for (const e of this.entries) if (e.r.name === name && !seen.has(resourceKind(e.r))) seen.set(resourceKind(e.r), e.r);
    return [...seen.values()];
  }
}
