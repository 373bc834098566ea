import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../src/common/logger';
import { localFrameworkView, mesosFrameworkView } from '../../src/daemon/display-model';
import type { IdleReason } from '../../src/framework/mesos-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { scaleFor } from '../../src/pi/precision';

describe('local framework view', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-view-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('names a retry backoff as the reason for idle workers, and nothing else', async () => {
    let now = 1_000_000;
    const fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger: silentLogger, targetTaskSeconds: 1, defaultRate: 320, now: () => now });
    // Idle at start (no task yet): no reason to show.
    expect(localFrameworkView(fw, 0).idleReason).to.equal(null);
    const r = fw.ledger.take(320)!;
    fw.ledger.launch('t1', [r], 'local');
    expect(localFrameworkView(fw, 1).idleReason).to.equal(null);
    fw.ledger.fail('t1', () => 5000);
    expect(localFrameworkView(fw, 0).idleReason).to.equal('waiting for a retry');
    now += 6000;
    fw.ledger.take(320);
    expect(localFrameworkView(fw, 0).idleReason).to.equal(null);
  });
});

describe('Mesos framework view', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-view-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('working is no idle reason; not subscribed only before there is a backend; no offers says for how long', async () => {
    const fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger: silentLogger, targetTaskSeconds: 1 });
    const client = { subscribed: true, state: { status: 'subscribed', master: 'http://m:5050', lastHeartbeatAt: 95_000 } as never };
    const backend = (reason: IdleReason, lastOfferAt = 0): { idleReason(): IdleReason; lastOfferAt: number } => ({ idleReason: () => reason, lastOfferAt });
    // Tasks running: the backend says null, and so must the page (it said "not subscribed").
    expect(mesosFrameworkView(fw, client, backend(null), 100_000)).to.deep.include({
      mode: 'mesos', subscribed: true, master: 'http://m:5050', heartbeatAgeSeconds: 5, idleReason: null,
    });
    expect(mesosFrameworkView(fw, undefined, undefined, 100_000)).to.deep.include({ subscribed: false, master: null, idleReason: 'not subscribed' });
    expect(mesosFrameworkView(fw, client, backend('no offers', 88_000), 100_000).idleReason).to.equal('no offers for 12s');
    expect(mesosFrameworkView(fw, client, backend('no offers'), 100_000).idleReason).to.equal('no offers');
    expect(mesosFrameworkView(fw, client, backend('suppressed', 88_000), 100_000).idleReason).to.equal('suppressed');
  });
});
