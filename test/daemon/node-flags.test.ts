// --jitless: an operator's choice for a Mesos-mode master short on memory (README, "Memory"),
// and a trap in local mode, where the daemon computes: it must say so.
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { jitless } from '../../src/daemon/node-flags';
import { exitOf, startDaemon } from '../support/daemon-process';

describe('node flags: --jitless', function () {
  this.timeout(60_000);

  it('is seen on the command line and in NODE_OPTIONS, and nowhere else', () => {
    expect(jitless(['--jitless'], '')).to.equal(true);
    expect(jitless([], '--max-old-space-size=100 --jitless')).to.equal(true);
    expect(jitless(['--max-semi-space-size=1'], '')).to.equal(false);
    expect(jitless([], '--jitless-not')).to.equal(false);
    expect(jitless([], '')).to.equal(false);
  });

  it('in local mode, a run under NODE_OPTIONS=--jitless warns that the workers compute at half speed, and still completes', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-jitless-'));
    try {
      const args = (sub: string) => ['--master', 'local[1]', '--display', 'none', '--http', 'off', '--state-dir', path.join(dir, sub), '--max-terms', '6400'];
      const slow = startDaemon(args('a'), { NODE_OPTIONS: '--jitless' });
      expect(await exitOf(slow, 50_000), slow.output()).to.equal(0);
      expect(slow.output()).to.match(/WARN\s+local mode under --jitless .*half speed/);
      expect(slow.output()).to.include('run complete: 6400 terms');
      const normal = startDaemon(args('b'));
      expect(await exitOf(normal, 50_000), normal.output()).to.equal(0);
      expect(normal.output()).to.not.include('--jitless');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
