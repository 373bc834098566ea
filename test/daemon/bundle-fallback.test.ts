// The executor bundle's home when the state directory takes no writes (soak: a daemon killed
// with kill -9 left a new ~450 kB temporary directory behind at every such start).
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildExecutorBundle, fallbackBundleDirectory } from '../../src/daemon/executor-bundle';

describe('executor bundle: the fallback directory', () => {
  let tmp: string;
  beforeEach(async () => { tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-fallback-')); });
  afterEach(async () => { await fs.chmod(tmp, 0o700).catch(() => undefined); await fs.rm(tmp, { recursive: true, force: true }); });

  it('is one per state directory, reused by the next start (so kill -9 leaves at most one), and ours alone (0700)', async () => {
    const first = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
    expect(first.reused).to.equal(false);
    expect((await fs.stat(first.dir)).mode & 0o777).to.equal(0o700);
    await fs.writeFile(path.join(first.dir, 'pi-mesos-executor.tar.gz'), 'old bundle');
    const again = await fallbackBundleDirectory('/var/lib/pi-mesos/', tmp);
    expect(again).to.deep.equal({ dir: first.dir, reused: true });
    const other = await fallbackBundleDirectory('/srv/pi-mesos', tmp);
    expect(other.dir).to.not.equal(first.dir);
    expect(await fs.readdir(tmp)).to.have.length(2);
  });

  it('closes up its own directory if it was opened up, and refuses one of another user or a symlink, saying why', async () => {
    const { dir } = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
    await fs.chmod(dir, 0o777);
    const again = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
    expect(again).to.deep.equal({ dir, reused: true });
    expect((await fs.stat(dir)).mode & 0o777).to.equal(0o700);
    if (process.getuid?.() === 0) {
      // Another user's directory of that name (root can make one to test with).
      await fs.chown(dir, 65534, 65534);
      const other = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
      expect(other.dir).to.not.equal(dir);
      expect(other.refused).to.equal(`${dir} is owned by uid 65534`);
    }
    await fs.rm(dir, { recursive: true });
    const elsewhere = await fs.mkdtemp(path.join(tmp, 'target-'));
    await fs.symlink(elsewhere, dir);
    const linked = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
    expect(linked.dir).to.not.equal(dir);
    expect(linked.refused).to.equal(`${dir} is not a directory`);
    expect(path.basename(linked.dir)).to.match(/^pi-mesos-executor-/);
  });

  it('building the bundle clears the temporary files of a build that was killed', async () => {
    const out = path.join(tmp, 'bundle');
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'pi-mesos-executor.tar.gz.4242.tmp'), 'half a tarball');
    await fs.writeFile(path.join(out, 'keep.me'), 'not ours');
    const file = await buildExecutorBundle(out);
    expect((await fs.readdir(out)).sort()).to.deep.equal(['keep.me', 'pi-mesos-executor.tar.gz']);
    expect(path.basename(file)).to.equal('pi-mesos-executor.tar.gz');
  });
});
