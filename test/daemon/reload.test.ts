import { expect } from 'chai';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseEnvironmentFile } from '../../src/daemon/env-file';
import { startDaemon } from '../support/daemon-process';
import { waitFor } from '../support/wait';

const exists = (f: string) => fs.access(f).then(() => true, () => false);

describe('SIGHUP reloads the display settings (and names what waits for a restart)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pi-hup-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('reads an EnvironmentFile as systemd does', () => {
    expect(parseEnvironmentFile([
      '# comment', '; comment too', 'PI_MESOS_DISPLAY=png:/tmp/a.png', "PI_MESOS_DIM='22:00-07:00'",
      'PI_MESOS_ROLE="pi \\"x\\""', 'PI_MESOS_MASTER=zk://a:2181,\\', 'b:2181/mesos', 'not a line',
    ].join('\n'))).to.deep.equal({
      PI_MESOS_DISPLAY: 'png:/tmp/a.png', PI_MESOS_DIM: '22:00-07:00', PI_MESOS_ROLE: 'pi "x"', PI_MESOS_MASTER: 'zk://a:2181,b:2181/mesos',
    });
  });

  it('switches to the display named in the re-read environment file, and keeps running on a bad one', async () => {
    const envFile = path.join(dir, 'pi-mesos');
    const a = path.join(dir, 'a.png');
    const b = path.join(dir, 'b.png');
    await fs.writeFile(envFile, `PI_MESOS_DISPLAY=png:${a}\n`);
    const d = startDaemon(['--master', 'local[1]', '--state-dir', path.join(dir, 'state'), '--http', 'off'], {
      PI_MESOS_ENV_FILE: envFile, PI_MESOS_DISPLAY: `png:${a}`,
    });
    try {
      await waitFor(() => exists(a), 20_000, 'the first display');
      await fs.writeFile(envFile, `PI_MESOS_DISPLAY=png:${b}\nPI_MESOS_LOG_LEVEL=debug\nPI_MESOS_PRECISION=40\nPI_MESOS_FRAMEWORK_NAME=pi two\n`);
      d.child.kill('SIGHUP');
      await waitFor(() => exists(b), 20_000, 'the display after SIGHUP');
      expect(d.output()).to.match(/SIGHUP: display settings changed, now png:/);
      // What SIGHUP does not apply is named, not dropped without a word; the log level applies now.
      expect(d.output()).to.match(/SIGHUP: framework-name \(pi-mesos → pi two\), precision \(32 → 40\) changed; applied at the next start \(systemctl restart pi-mesos\), not now/);
      expect(d.output()).to.match(/SIGHUP: log level now debug/);
      await fs.writeFile(envFile, 'PI_MESOS_DISPLAY=vga\n');
      d.child.kill('SIGHUP');
      await waitFor(() => /SIGHUP: .*display.*keeping the current settings/.test(d.output()), 20_000, 'the refusal');
      expect(d.child.exitCode).to.equal(null);
    } finally {
      d.child.kill('SIGTERM');
    }
    expect((await d.exited).code).to.equal(0);
  });
});
