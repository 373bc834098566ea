// Which executor a task goes to. The master refuses a task whose ExecutorInfo differs from that of
// a live executor with the same ExecutorID, and charges a live executor's resources once: so the
// ID must change exactly when the ExecutorInfo does, a live executor of ours must be reused (its
// resources not asked for again), also by a restarted scheduler that has to rebuild its
// ExecutorInfo from the offer alone.
import { expect } from 'chai';
import { EXECUTOR_ID_PREFIX, ExecutorChooser, executorInfoFor, isOurExecutorId } from '../../src/framework/executor-identity';
import { OfferPool } from '../../src/framework/offer-resources';
import type { Offer, Resource } from '../../src/mesos/types';
import { TEMPLATE } from './backend-double';

const ROLE = 'pi';
const alloc = { allocation_info: { role: ROLE } };
const scalar = (name: string, value: number, extra: Partial<Resource> = {}): Resource => ({ name, type: 'SCALAR', scalar: { value }, ...alloc, ...extra });

function offerOf(resources: Resource[], executorIds: string[] = []): Offer {
  return {
    id: { value: 'o' }, framework_id: { value: 'fw' }, agent_id: { value: 'a1' }, hostname: 'a1.lan',
    resources, executor_ids: executorIds.map((value) => ({ value })),
  };
}

/** The executor a scheduler carves from `resources`, and the offer after it (what it left). */
function carve(resources: Resource[]): { id: string; chooser: ExecutorChooser } {
  const chooser = new ExecutorChooser(TEMPLATE, ROLE);
  const choice = chooser.choose(offerOf(resources), new OfferPool(resources, ROLE))!;
  return { id: choice.info.executor_id.value, chooser };
}

describe('executor identity', () => {
  it('names an executor pi-mesos-executor- and 16 hex digits of a digest of its ExecutorInfo', () => {
    const info = executorInfoFor(TEMPLATE, [scalar('cpus', 0.05), scalar('mem', 96)]);
    expect(EXECUTOR_ID_PREFIX).to.equal('pi-mesos-executor-');
    expect(info.executor_id.value).to.match(/^pi-mesos-executor-[0-9a-f]{16}$/);
    expect(isOurExecutorId(info.executor_id.value)).to.equal(true);
    // Executors of other frameworks' kinds, and the command executor, are not ours.
    expect(isOurExecutorId('default')).to.equal(false);
    expect(isOurExecutorId('thermos-1234')).to.equal(false);
    // The info carries the template and the resources it holds.
    expect(info).to.deep.include({ type: 'CUSTOM', name: TEMPLATE.name, command: TEMPLATE.command });
    expect(info.resources).to.deep.equal([scalar('cpus', 0.05), scalar('mem', 96)]);
  });

  it('starts a new executor carved from one entry of each resource, and reuses it while the offers list it, charging it once', () => {
    // The role's 0.03 CPU is too little for the executor's 0.05: it comes whole from the unreserved entry.
    const resources = [scalar('cpus', 0.03, { role: ROLE }), scalar('cpus', 4), scalar('mem', 4096)];
    const chooser = new ExecutorChooser(TEMPLATE, ROLE);
    const pool = new OfferPool(resources, ROLE);
    const first = chooser.choose(offerOf(resources), pool)!;
    expect(first.live).to.equal(false);
    expect(first.info.resources).to.deep.equal([scalar('cpus', 0.05), scalar('mem', 96)]);
    expect(pool.available('cpus')).to.equal(3.98);
    expect(pool.available('mem')).to.equal(4000);
    expect(chooser.get(first.info.executor_id.value)).to.deep.equal(first.info);

    // The next offer lists it running: the same ExecutorInfo, nothing taken from the offer.
    const next = new OfferPool(resources, ROLE);
    const again = chooser.choose(offerOf(resources, [first.info.executor_id.value]), next)!;
    expect(again.live).to.equal(true);
    expect(again.info).to.deep.equal(first.info);
    expect(next.available('cpus')).to.equal(4.03);
    expect(next.available('mem')).to.equal(4096);
  });

  it('reuses a live executor whose resources are no longer of a kind the offer holds', () => {
    // Carved from a reservation the executor and its tasks then used up entirely.
    const reserved: Partial<Resource> = { reservations: [{ type: 'DYNAMIC', role: ROLE, principal: 'ops', labels: { labels: [{ key: 'k', value: 'v' }] } }] };
    const { id, chooser } = carve([scalar('cpus', 1, reserved), scalar('mem', 128, reserved)]);
    const rest = [scalar('cpus', 2), scalar('mem', 1024)];
    const pool = new OfferPool(rest, ROLE);
    const choice = chooser.choose(offerOf(rest, [id]), pool)!;
    expect(choice.info.executor_id.value).to.equal(id);
    expect(choice.live).to.equal(true);
    expect(pool.available('cpus')).to.equal(2);
  });

  it('after a restart, recognises its live executor from the offer\'s own kinds of resources', () => {
    const reserved: Partial<Resource> = { reservations: [{ type: 'DYNAMIC', role: ROLE, principal: 'ops' }] };
    const resources = [scalar('cpus', 4, reserved), scalar('mem', 4096, reserved)];
    const { id } = carve(resources);
    const restarted = new ExecutorChooser(TEMPLATE, ROLE);
    const pool = new OfferPool(resources, ROLE);
    const choice = restarted.choose(offerOf(resources, [id]), pool)!;
    expect(choice.info.executor_id.value).to.equal(id);
    expect(choice.live).to.equal(true);
    expect(pool.available('cpus')).to.equal(4); // not charged again
    expect(restarted.get(id)?.executor_id.value).to.equal(id);
  });

  for (const [what, extra] of [['unreserved', { role: '*' }], ['reserved to the role (role format)', { role: ROLE }]] as const) {
    it(`after a restart, recognises its live executor of ${what} resources in an offer that holds none of them`, () => {
      const { id } = carve([scalar('cpus', 0.05, extra), scalar('mem', 96, extra)]);
      const restarted = new ExecutorChooser(TEMPLATE, ROLE);
      // The agent is full: the offer holds only some disk.
      const full = [scalar('disk', 100)];
      const choice = restarted.choose(offerOf(full, [id]), new OfferPool(full, ROLE));
      expect(choice?.info.executor_id.value).to.equal(id);
      expect(choice?.live).to.equal(true);
    });
  }

  it('after a restart, starts a new executor beside a live one of another configuration', () => {
    const resources = [scalar('cpus', 4), scalar('mem', 4096)];
    const old = executorInfoFor({ ...TEMPLATE, name: 'pi-mesos executor 0.1' }, [scalar('cpus', 0.05), scalar('mem', 96)]);
    const chooser = new ExecutorChooser(TEMPLATE, ROLE);
    const pool = new OfferPool(resources, ROLE);
    const choice = chooser.choose(offerOf(resources, [old.executor_id.value, 'default']), pool)!;
    expect(choice.live).to.equal(false);
    expect(choice.info.executor_id.value).to.not.equal(old.executor_id.value);
    expect(pool.available('cpus')).to.equal(3.95); // charged: it is a new executor
  });

  it('gives up on an offer too small for the executor, taking nothing', () => {
    const resources = [scalar('cpus', 0.04), scalar('mem', 4096)];
    const pool = new OfferPool(resources, ROLE);
    expect(new ExecutorChooser(TEMPLATE, ROLE).choose(offerOf(resources), pool)).to.equal(null);
    expect(pool.available('mem')).to.equal(4096);
  });
});
