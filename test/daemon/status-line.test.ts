// The STATUS= line `systemctl status` shows: its figures in the units every display uses.
import { expect } from 'chai';
import { silentLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/daemon/config';
import { Daemon } from '../../src/daemon/daemon';
import { DisplayModel } from '../../src/display/model';
import { localModel } from '../display/fixtures';

function daemonAt(rate: number): Daemon {
  const config = loadConfig(['--master', 'local[2]', '--display', 'none', '--state-dir', '/nonexistent/pi-mesos', '--http', 'off'], {}, {
    stdoutIsTTY: false, cpuCount: 2, userName: 'pi', homeDir: '/home/pi', cwd: '/srv', hostname: 'master-pi',
  });
  const d = new Daemon(config, silentLogger);
  // Only what statusLine() reads: never started, so nothing runs.
  const model = localModel();
  model.cluster.cpusUsedByUs = 1.94;
  model.cluster.cpusTotal = 2;
  Object.assign(d, {
    fw: { certified: () => ({ certified: '3.141592653589793', decimals: 15 }), throughput: { rate: () => rate } },
    local: { workers: 2 },
    model: (): DisplayModel => model,
  });
  return d;
}

describe('daemon status line', () => {
  // Issue 11, point 16: a 2-core machine showed "21831.7M terms/s".
  it('writes rates in the displays\' k/M/G units', () => {
    expect(daemonAt(21_831_700_000).statusLine()).to.equal('π 3.141592653589793 (15 certified), 21.8G terms/s, cpus 1.9/2, local[2]');
    expect(daemonAt(58_400_000).statusLine()).to.include(', 58.4M terms/s,');
    expect(daemonAt(0).statusLine()).to.include(', 0 terms/s,');
  });
});
