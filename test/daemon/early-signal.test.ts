// A SIGTERM while the daemon is still loading its modules (soak seed 2: systemd, or the soak,
// stopping a daemon half a second after its start) must end it cleanly, not by the signal.
import { expect } from 'chai';
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags';
import { DAEMON } from '../support/daemon-process';

describe('a SIGTERM during start-up', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-early-signal-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('arriving while the modules load (just after the first one): exit 0 with a notice, nothing started', async () => {
    // A preload that signals the process the moment early-signals.js has loaded, so the signal is
    // pending while everything else loads: deterministic, no timing.
    const preload = path.join(dir, 'signal-after-first-module.js');
    await fs.writeFile(preload, `
      const Module = require('module');
      const load = Module._load;
      Module._load = function (request, ...rest) {
        const m = load.call(this, request, ...rest);
        if (/early-signals$/.test(request) && !global.__signalled) { global.__signalled = true; process.kill(process.pid, 'SIGTERM'); }
        return m;
      };
    `);
    const state = path.join(dir, 'state');
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, '-r', preload, DAEMON, '--master', 'local[1]', '--display', 'none', '--http', 'off', '--state-dir', state], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    expect(end, out).to.deep.equal({ code: 0, signal: null });
    expect(out).to.match(/NOTICE\s+SIGTERM during start-up: stopping before the start/);
    expect(out).to.not.match(/local mode:/);
  });
});
