// Carving tasks and executors out of one offer, as the master checks it: every Resource a launch
// asks for must be contained in the offer with the same role, reservations and allocation_info
// (master/validation.cpp). The role's own reservations go first, and a task lists only the entries
// it uses (the master would take a zero scalar, but it is noise in every task's resources).
import { expect } from 'chai';
import { OfferPool } from '../../src/framework/offer-resources';
import type { Resource } from '../../src/mesos/types';

const alloc = { allocation_info: { role: 'eng/pi' } };
const scalar = (name: string, value: number, extra: Partial<Resource> = {}): Resource => ({ name, type: 'SCALAR', scalar: { value }, ...alloc, ...extra });
/** The reservation stack of the refinement format (Mesos ≥ 1.4): the last entry is the role it is reserved to. */
const reservedTo = (...roles: string[]): Partial<Resource> => ({ reservations: roles.map((role) => ({ type: 'DYNAMIC', role, principal: 'ops' })) });
const amounts = (rs: Resource[] | null): [string | undefined, number][] =>
  (rs ?? []).map((r) => [r.reservations?.length ? r.reservations[r.reservations.length - 1].role : r.role, r.scalar!.value]);

describe('carving an offer', () => {
  it('takes the role\'s own reservations first, then other reservations, then the unreserved pool (refinement format)', () => {
    // The offer's order is the reverse of the preference.
    const pool = new OfferPool([
      scalar('cpus', 1),
      scalar('cpus', 1, reservedTo('eng')),
      scalar('cpus', 1, reservedTo('eng', 'eng/pi')),
    ], 'eng/pi');
    expect(amounts(pool.take({ cpus: 2.5 }))).to.deep.equal([['eng/pi', 1], ['eng', 1], [undefined, 0.5]]);
  });

  it('takes the role\'s own reservations first, then other reservations, then the unreserved pool (role format)', () => {
    const pool = new OfferPool([
      scalar('cpus', 1, { role: '*' }),
      scalar('cpus', 1, { role: 'eng' }),
      scalar('cpus', 1, { role: 'eng/pi' }),
    ], 'eng/pi');
    expect(amounts(pool.take({ cpus: 2.5 }))).to.deep.equal([['eng/pi', 1], ['eng', 1], ['*', 0.5]]);
  });

  it('hands out each piece as a copy of its entry: reservations, role and allocation_info kept, only the amount changed', () => {
    const entry = scalar('mem', 512, { role: 'eng/pi', ...reservedTo('eng', 'eng/pi') });
    const pool = new OfferPool([entry], 'eng/pi');
    expect(pool.take({ mem: 100 })).to.deep.equal([{ ...entry, scalar: { value: 100 } }]);
    expect(entry.scalar!.value).to.equal(512); // the offer itself is not changed
  });

  it('never hands out an empty piece: entries used up, or not needed, are left out', () => {
    const pool = new OfferPool([scalar('cpus', 1, { role: 'eng/pi' }), scalar('cpus', 1), scalar('cpus', 1)], 'eng/pi');
    expect(amounts(pool.take({ cpus: 1 }))).to.deep.equal([['eng/pi', 1]]);
    // The reserved entry is empty now; the next CPU comes whole from one unreserved entry.
    const next = pool.take({ cpus: 1 })!;
    expect(amounts(next)).to.deep.equal([[undefined, 1]]);
    expect(next.every((r) => r.scalar!.value > 0)).to.equal(true);
    expect(pool.available('cpus')).to.equal(1);
  });

  it('takes a single-entry request that exactly empties an entry', () => {
    const pool = new OfferPool([scalar('cpus', 0.05), scalar('mem', 96)], '*');
    expect(amounts(pool.take({ cpus: 0.05, mem: 96 }, true))).to.deep.equal([[undefined, 0.05], [undefined, 96]]);
    expect(pool.available('cpus')).to.equal(0);
    expect(pool.take({ cpus: 0.001 }, true)).to.equal(null);
  });

  it('gives back each piece to the entry it came from', () => {
    const pool = new OfferPool([scalar('cpus', 1, { role: 'eng/pi' }), scalar('cpus', 1)], 'eng/pi');
    const a = pool.take({ cpus: 1.5 })!;
    pool.giveBack(a);
    // Given back to the right entries, the reserved CPU goes out first again, whole.
    expect(amounts(pool.take({ cpus: 1 }))).to.deep.equal([['eng/pi', 1]]);
  });

  it('lists the kinds of one resource name only, each once', () => {
    const pool = new OfferPool([
      scalar('cpus', 1), scalar('mem', 100), scalar('cpus', 2), scalar('mem', 50, { role: 'eng/pi' }), scalar('cpus', 1, { role: 'eng/pi' }),
    ], 'eng/pi');
    const kinds = pool.kinds('cpus');
    expect(kinds.map((k) => [k.name, k.role])).to.deep.equal([['cpus', 'eng/pi'], ['cpus', undefined]]);
    expect(pool.kinds('mem').map((k) => [k.name, k.role])).to.deep.equal([['mem', 'eng/pi'], ['mem', undefined]]);
  });
});
