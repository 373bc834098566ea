// Figures the README states that the code can drift from: each is measured or rendered here from
// today's code and compared with the README's text, so a change that moves one fails until the
// README says it again.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/daemon/config';
import { DEFAULT_PRECISION } from '../../src/daemon/config-options';
import { Daemon } from '../../src/daemon/daemon';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags';
import { buildExecutorBundle } from '../../src/daemon/executor-bundle';
import { DisplayModel } from '../../src/display/model';
import { plainStyle, statusLines } from '../../src/display/status-text';
import { localModel } from '../display/fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const HOST = { stdoutIsTTY: false, cpuCount: 2, userName: 'pi', homeDir: '/home/pi', cwd: '/srv', hostname: 'master-pi' };

function one(re: RegExp, text = README): RegExpExecArray {
  const m = re.exec(text);
  expect(m, `README: ${re}`).to.not.equal(null);
  return m!;
}

/** The indented block (4 spaces) of README that starts with `first`. */
function block(first: string): string[] {
  const lines = README.split('\n');
  const i = lines.indexOf(`    ${first}`);
  expect(i, `README block starting ${first}`).to.be.greaterThan(-1);
  const out: string[] = [];
  for (let j = i; j < lines.length && (lines[j] === '' || lines[j].startsWith('    ')); j++) out.push(lines[j].slice(4));
  while (out[out.length - 1] === '') out.pop();
  return out;
}

describe('README figures match the code', () => {
  it('the default precision: the options table, the prose and the shipped environment file say DEFAULT_PRECISION', () => {
    const config = loadConfig(['--master', 'local'], {}, HOST);
    expect(config.precision).to.equal(DEFAULT_PRECISION);
    expect(Number(one(/^\| `--precision` \| `PI_MESOS_PRECISION` \| `(\d+)`/m)[1])).to.equal(DEFAULT_PRECISION);
    expect(Number(one(/the default (\d+) digits hold every digit/)[1])).to.equal(DEFAULT_PRECISION);
    const env = fs.readFileSync(path.join(ROOT, 'systemd/pi-mesos.default'), 'utf8');
    expect(Number(one(/^#PI_MESOS_PRECISION=(\d+)$/m, env)[1])).to.equal(DEFAULT_PRECISION);
    expect(Number(one(/\(10\.\.10000\), default (\d+)\./, env)[1])).to.equal(DEFAULT_PRECISION);
  });

  it('the executor bundle size quoted is the size of the bundle built now (within 10 %)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-bundle-'));
    try {
      const bytes = fs.statSync(await buildExecutorBundle(dir)).size;
      const quoted = Number(one(/protobufjs, ~(\d+) kB\)/)[1]) * 1000;
      expect(Math.abs(bytes - quoted) / bytes, `built ${bytes} bytes, README says ~${quoted / 1000} kB`).to.be.below(0.1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the security score quoted is what systemd-analyze rates the unit', function () {
    const score = one(/rates the installed unit\s+\*\*(\d+\.\d+) (OK|MEDIUM|EXPOSED|UNSAFE)\*\*/);
    if (spawnSync('sh', ['-c', 'command -v systemd-analyze'], { stdio: 'ignore' }).status !== 0) this.skip();
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', path.join(ROOT, 'systemd/pi-mesos.service')], { encoding: 'utf8' });
    const m = /Overall exposure level for pi-mesos\.service: (\d+\.\d+) (\w+)/.exec(r.stdout + r.stderr);
    if (!m) this.skip(); // systemd older than 250 has no offline mode
    expect(`${m![1]} ${m![2]}`).to.equal(`${score[1]} ${score[2]}`);
  });

  it('the status lines quoted (in the systemctl status capture, and any inline) are the daemon\'s statusLine() for their figures', () => {
    const quoted = [...README.matchAll(/(?:Status: "|`)(π [^"`\n]+, local\[\d+\])["`]/g)].map((q) => q[1]);
    expect(quoted.length, 'status lines in README').to.be.at.least(1);
    for (const line of quoted) {
      const m = one(/^π ([\d.]+) \((\d+) certified\), ([\d.]+)([kMGT]?) terms\/s, cpus ([\d.]+)\/(\d+), local\[(\d+)\]$/, line);
      const rate = Number(m[3]) * { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[4] as '' | 'k' | 'M' | 'G' | 'T'];
      const config = loadConfig(['--master', `local[${m[7]}]`, '--display', 'none', '--http', 'off', '--state-dir', '/nonexistent/pi-mesos'], {}, HOST);
      const d = new Daemon(config, silentLogger);
      const model = localModel();
      model.cluster.cpusUsedByUs = Number(m[5]);
      model.cluster.cpusTotal = Number(m[6]);
      Object.assign(d, {
        fw: { certified: () => ({ certified: m[1], decimals: Number(m[2]) }), throughput: { rate: () => rate } },
        local: { workers: Number(m[7]) },
        model: (): DisplayModel => model,
      });
      expect(d.statusLine()).to.equal(line);
    }
  });

  it('the terminal example under "Try it" is what the text status draws for its figures', () => {
    const shown = block('pi-mesos (local)');
    const digits = one(/^pi {5}(3\.\d+)\[(\d+)\?\]$/, shown[2].trim());
    const eta = one(/next digit in ~(\d+)s$/, shown[3]);
    const terms = one(/^terms {2}([\d.]+)G done, ([\d.]+)G terms\/s$/, shown[4].trim());
    const cpus = one(/\] (\d+) of (\d+) used by pi-mesos$/, shown[5]);
    const tasks = one(/local mode: (\d+) task\(s\) running$/, shown[7]);
    const model = localModel();
    model.pi = {
      certified: digits[1], uncertain: digits[2], termsDone: Number(terms[1]) * 1e9, termsComputed: Number(terms[1]) * 1e9,
      termsPerSecond: Number(terms[2]) * 1e9, nextDigitEtaSeconds: Number(eta[1]),
    };
    model.cluster.cpusUsedByUs = Number(cpus[1]);
    model.cluster.cpusTotal = Number(cpus[2]);
    model.framework.tasksRunning = Number(tasks[1]);
    expect(statusLines(model, plainStyle)).to.deep.equal(shown);
  });
});

describe('the daemon\'s Node.js options', () => {
  it('are the same in the installed launcher, make run and npm start as in node-flags.ts', () => {
    const root = path.resolve(__dirname, '../../..');
    const makefile = fs.readFileSync(path.join(root, 'Makefile'), 'utf8');
    expect(/^DAEMON_NODE_FLAGS := (.*)$/m.exec(makefile)?.[1]).to.equal(DAEMON_NODE_FLAGS.join(' '));
    expect(makefile).to.match(/exec %s %s %s .*'\$\(DAEMON_NODE_FLAGS\)'/);
    expect(makefile).to.match(/node \$\(DAEMON_NODE_FLAGS\) dist\/src\/daemon\/main\.js/);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).to.equal(`node ${DAEMON_NODE_FLAGS.join(' ')} dist/src/daemon/main.js --master local --display terminal`);
  });
});
