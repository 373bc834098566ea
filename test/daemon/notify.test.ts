import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { SystemdNotifier } from '../../src/daemon/notify';
import { NotifySocket, python3Available } from './support/notify-socket';
import { waitFor } from './support/wait';

describe('daemon/notify', () => {
  it('is a silent no-op outside systemd (no NOTIFY_SOCKET)', async () => {
    const log = new MemoryLogger();
    let calls = 0;
    const n = new SystemdNotifier({ logger: log, env: { WATCHDOG_USEC: '1000000' }, send: async () => { calls++; } });
    expect(n.enabled).to.equal(false);
    expect(n.watchdogIntervalMs).to.equal(null);
    await n.ready('up');
    await n.status('x');
    await n.watchdog();
    expect(n.startWatchdog(() => true)).to.equal(false);
    await n.stopping();
    expect([calls, n.spawned, log.lines.length]).to.deep.equal([0, 0, 0]);
  });

  it('reads the watchdog interval from WATCHDOG_USEC and WATCHDOG_PID', () => {
    const make = (env: NodeJS.ProcessEnv) => new SystemdNotifier({ logger: new MemoryLogger(), env, pid: 42, send: async () => undefined });
    expect(make({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000' }).watchdogIntervalMs).to.equal(15000);
    expect(make({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }).watchdogIntervalMs).to.equal(15000);
    expect(make({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }).watchdogIntervalMs).to.equal(null);
    expect(make({ NOTIFY_SOCKET: '/run/x' }).watchdogIntervalMs).to.equal(null);
  });

  it('logs a failing systemd-notify run and carries on', async () => {
    const log = new MemoryLogger();
    let calls = 0;
    const n = new SystemdNotifier({
      logger: log, env: { NOTIFY_SOCKET: '/nonexistent' },
      send: () => { calls++; return calls === 1 ? Promise.reject('Failed to invoke barrier: Connection timed out') : Promise.resolve(); },
    });
    await n.status('one');
    await n.status('two');
    expect(calls).to.equal(2);
    expect(log.has('warn', /systemd-notify failed: Failed to invoke barrier/)).to.equal(true);
    const missing = Object.assign(new Error('spawn systemd-notify ENOENT'), { code: 'ENOENT' });
    const m = new SystemdNotifier({ logger: log, env: { NOTIFY_SOCKET: '/x' }, send: () => Promise.reject(missing) });
    await m.ready();
    expect(log.has('error', /systemd-notify program is not installed/)).to.equal(true);
  });

  describe('through the systemd-notify package against a real datagram socket', function () {
    let dir: string;
    let sock: NotifySocket;
    const notifiers: SystemdNotifier[] = [];

    before(async function () {
      if (!python3Available()) {
        // The listener needs python3; say so rather than pass vacuously.
        this.skip();
      }
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-notify-'));
    });
    // The package spawns systemd-notify with this process's environment: that is where
    // NOTIFY_SOCKET must be, as it is under systemd.
    beforeEach(async () => {
      sock = await NotifySocket.open(fs.mkdtempSync(path.join(dir, 's-')));
      process.env.NOTIFY_SOCKET = sock.path;
    });
    afterEach(async () => {
      delete process.env.NOTIFY_SOCKET;
      for (const n of notifiers.splice(0)) {
        n.close();
        await waitFor(() => !n.inFlight, 10_000, 'the last notification');
      }
      await sock?.close();
    });
    after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

    function notifier(extra: NodeJS.ProcessEnv = {}): SystemdNotifier {
      const n = new SystemdNotifier({ logger: new MemoryLogger(), env: { NOTIFY_SOCKET: sock.path, ...extra } });
      notifiers.push(n);
      return n;
    }

    /** Every systemd-notify run so far has delivered its datagrams to the test. */
    async function settled(n: SystemdNotifier): Promise<void> {
      await waitFor(() => !n.inFlight && sock.barriers === n.spawned, 10_000, 'all notifications delivered');
    }

    it('sends READY=1 with the status and our PID', async () => {
      const n = notifier();
      await n.ready('local[2]: starting');
      await settled(n);
      const m = sock.messages;
      expect(m).to.have.length(1);
      expect(m[0].get('READY')).to.equal('1');
      expect(m[0].get('STATUS')).to.equal('local[2]: starting');
      expect(m[0].get('MAINPID')).to.equal(String(process.pid));
      expect(sock.barriers).to.equal(1, 'systemd-notify waited for the manager to read the message');
    });

    it('keeps the status on one line, and sends WATCHDOG=1 and STOPPING=1 after it', async () => {
      const n = notifier();
      await n.status('digits 3.14159\nWATCHDOG=1');
      await n.watchdog();
      await n.stopping('stopping: checkpointing');
      await settled(n);
      const m = sock.messages;
      expect(m.map((x) => x.get('STATUS'))).to.deep.equal(['digits 3.14159 WATCHDOG=1', 'digits 3.14159 WATCHDOG=1', 'stopping: checkpointing']);
      expect(m.map((x) => x.has('WATCHDOG'))).to.deep.equal([false, true, false]);
      expect(m[2].get('STOPPING')).to.equal('1');
    });

    it('coalesces requests made while a notification is in flight: the latest status wins', async () => {
      const n = notifier();
      const all: Promise<void>[] = [];
      for (const s of ['a', 'b', 'c', 'd', 'e', 'f']) all.push(n.status(s));
      all.push(n.watchdog());
      expect(n.spawned).to.equal(1);
      await Promise.all(all);
      await settled(n);
      expect(n.spawned).to.equal(2);
      expect(sock.statuses()).to.deep.equal(['a', 'f']);
      expect(sock.messages[1].get('WATCHDOG')).to.equal('1');
    });

    it('starts no second process while the manager is slow to read', async () => {
      const n = notifier();
      await sock.pause();
      const first = n.status('while paused');
      await waitFor(() => sock.datagrams.length === 0 && n.inFlight, 5000, 'the first notification in flight');
      const later = [n.status('x'), n.watchdog(), n.status('latest')];
      // Let the event loop turn: nothing may spawn while the first child waits for its barrier.
      await new Promise((r) => setImmediate(r));
      expect(n.spawned).to.equal(1);
      expect(n.inFlight).to.equal(true);
      sock.resume();
      await first;
      await Promise.all(later);
      await settled(n);
      expect(n.spawned).to.equal(2);
      expect(sock.statuses()).to.deep.equal(['while paused', 'latest']);
      expect(sock.messages[1].get('WATCHDOG')).to.equal('1');
    });

    it('does not hold a shutdown for a manager that is slow to answer', async () => {
      const n = notifier();
      await sock.pause();
      // Resolves by its cap although the listener reads nothing (systemd-notify waits up to 5 s).
      await n.stopping('stopping', 200);
      expect(n.inFlight).to.equal(true);
      sock.resume();
      await settled(n);
      expect(sock.messages[0].get('STOPPING')).to.equal('1');
    });

    it('sends WATCHDOG=1 at half WATCHDOG_USEC only while healthy', async () => {
      const n = notifier({ WATCHDOG_USEC: '100000' });
      expect(n.watchdogIntervalMs).to.equal(50);
      let healthy = true;
      let checks = 0;
      expect(n.startWatchdog(() => { checks++; return healthy; })).to.equal(true);
      await sock.waitFor(() => sock.count('WATCHDOG', '1') >= 3, 'three keep-alives');
      healthy = false;
      // Settle: whatever was started before the flip has arrived (each run ends with a barrier).
      await settled(n);
      const before = sock.count('WATCHDOG', '1');
      const spawned = n.spawned;
      const c0 = checks;
      await waitFor(() => checks >= c0 + 3, 5000, 'three unhealthy checks');
      await settled(n);
      expect(n.spawned).to.equal(spawned);
      expect(sock.count('WATCHDOG', '1')).to.equal(before);
      healthy = true;
      await sock.waitFor(() => sock.count('WATCHDOG', '1') > before, 'keep-alives again once healthy');
    });
  });
});
