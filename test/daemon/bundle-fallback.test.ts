// The executor bundle's home when the state directory takes no writes (soak: a daemon killed
// with kill -9 left a new ~450 kB temporary directory behind at every such start).
import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fallbackBundleDirectory } from '../../src/daemon/executor-bundle';

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

  it('refuses a directory of that name that others may write, or a symlink, and takes a fresh one', async () => {
    const { dir } = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
    await fs.chmod(dir, 0o777);
    const open = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
    expect(open.dir).to.not.equal(dir);
    expect(open.reused).to.equal(false);
    await fs.rm(dir, { recursive: true });
    const elsewhere = await fs.mkdtemp(path.join(tmp, 'target-'));
    await fs.symlink(elsewhere, dir);
    const linked = await fallbackBundleDirectory('/var/lib/pi-mesos', tmp);
    expect(linked.dir).to.not.equal(dir);
    expect(path.basename(linked.dir)).to.match(/^pi-mesos-executor-/);
  });
});
