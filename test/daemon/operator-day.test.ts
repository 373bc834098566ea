// The rough edges an admin meets (issue 11, points 4-13): fatal reasons at err priority, one
// daemon per state directory, --teardown as a one-shot command, a busy HTTP port in one line,
// --check-config checking what a start checks, --version/--environment-file/--help, ZooKeeper that does
// not answer, shutdown-killed local tasks, and the i2c-bus module as optional.
import { expect } from 'chai';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { writeFatal } from '../../src/common/log';
import { Logger, silentLogger } from '../../src/common/logger';
import { ConfigError, EX_CONFIG, helpText, loadConfig } from '../../src/daemon/config';
import { daemonMetricFamilies, formatMetrics } from '../../src/daemon/http-server';
import { LocalBackend } from '../../src/framework/local-backend';
import { PiFramework } from '../../src/framework/pi-framework';
import { ZooKeeperMasterDetector } from '../../src/mesos/detector';
import { SchedulerClient } from '../../src/mesos/scheduler';
import { scaleFor } from '../../src/pi/precision';
import { waitFor } from './support/wait';

const MAIN = path.resolve(__dirname, '../../src/daemon/main.js');
const ROOT = path.resolve(__dirname, '../../..');

function runMain(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Child { child: ChildProcess; out: () => string; exited: Promise<number | null> }

function startMain(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { child, out: () => out, exited };
}

function freePort(): Promise<{ port: number; server: net.Server }> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as net.AddressInfo).port, server }));
  });
}

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (l: string) => (m: string): void => { lines.push(`${l} ${m}`); };
  return { lines, error: push('error'), warn: push('warn'), notice: push('notice'), info: push('info'), debug: push('debug') } as Logger & { lines: string[] };
}

describe("the operator's day (issue 11)", function () {
  this.timeout(90_000);
  let tmp: string;
  const children: Child[] = [];
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-opday-')); });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.child.exitCode === null && c.child.signalCode === null) { c.child.kill('SIGKILL'); await c.exited; }
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('4: every fatal reason at err priority', () => {
    it('writes <3> before the reason when stderr is the journal, the plain form otherwise', () => {
      let text = '';
      writeFatal('invalid precision "5"', { journal: true, out: { write: (t: string) => { text += t; } } });
      expect(text).to.equal('<3>invalid precision "5"\n');
      text = '';
      writeFatal('invalid precision "5"', { journal: false, out: { write: (t: string) => { text += t; } } });
      expect(text).to.equal('pi-mesos: invalid precision "5"\n');
    });

    it('a bad setting under journald: the one line starts <3>', () => {
      const file = path.join(tmp, 'journal-stream');
      fs.writeFileSync(file, '');
      const fd = fs.openSync(file, 'w');
      const st = fs.fstatSync(fd, { bigint: true });
      const r = spawnSync(process.execPath, [MAIN, '--precision', '5'], {
        env: { PATH: process.env.PATH, JOURNAL_STREAM: `${st.dev}:${st.ino}` }, stdio: ['ignore', 'ignore', fd],
      });
      fs.closeSync(fd);
      expect(r.status).to.equal(EX_CONFIG);
      expect(fs.readFileSync(file, 'utf8')).to.match(/^<3>invalid precision "5" \(from --precision\)/);
    });
  });

  it('5: a second daemon on the same state directory exits 78 naming the first; the first runs on', async () => {
    const state = path.join(tmp, 'state-5');
    const first = startMain(['--master', 'local[1]', '--display', 'none', '--http', 'off', '--state-dir', state, '--target-task-seconds', '1']);
    children.push(first);
    await waitFor(() => /local mode:/.test(first.out()), 30_000, 'the first daemon running');
    const second = startMain(['--master', 'local[1]', '--display', 'none', '--http', 'off', '--state-dir', path.join(state, '.')]);
    children.push(second);
    let code: number | null | undefined;
    void second.exited.then((c) => { code = c; });
    await waitFor(() => code !== undefined || /local mode:/.test(second.out()), 30_000, 'the second daemon to exit or run');
    expect(code, second.out()).to.equal(EX_CONFIG);
    expect(second.out()).to.include(`in use by another pi-mesos (PID ${first.child.pid})`);
    expect(first.child.exitCode).to.equal(null);
    first.child.kill('SIGTERM');
    expect(await first.exited).to.equal(0);
    // Released on exit: a new start takes it.
    const third = runMain(['--master', 'local[1]', '--display', 'none', '--http', 'off', '--state-dir', state, '--max-terms', '64']);
    expect(third.status, third.stderr).to.equal(0);
  });

  describe('6: --teardown is a one-shot command', () => {
    it('is refused in the environment (the env file would end the framework on every start)', () => {
      expect(() => loadConfig([], { PI_MESOS_TEARDOWN: 'true', PI_MESOS_MASTER: 'm:5050' }, { cwd: tmp }))
        .to.throw(ConfigError, /one-shot command.*remove PI_MESOS_TEARDOWN/);
    });
    it('is refused in local mode, where there is no framework', () => {
      expect(() => loadConfig(['--teardown'], {}, { cwd: tmp })).to.throw(ConfigError, /local mode has no framework/);
    });
    it('is documented as a command in --help', () => {
      expect(helpText()).to.match(/--teardown\n\s+One-shot command, not a setting/);
    });
    it('with no framework stored: says there is nothing to tear down, and not that it tore one down', () => {
      const r = runMain(['--teardown', '--master', '127.0.0.1:1', '--http', 'off', '--display', 'none', '--state-dir', path.join(tmp, 'state-6')]);
      expect(r.status, r.stderr).to.equal(0);
      const out = r.stdout + r.stderr;
      expect(out).to.match(/nothing to tear down/);
      expect(out).to.not.match(/framework torn down/);
    });
  });

  it('7: a busy HTTP port: one line naming the setting and the address, exit 69', async () => {
    const { port, server } = await freePort();
    try {
      const r = runMain(['--master', 'local[1]', '--display', 'none', '--state-dir', path.join(tmp, 'state-7'), '--http', `127.0.0.1:${port}`]);
      expect(r.status, r.stderr).to.equal(69);
      const errors = r.stderr.split('\n').filter((l) => /ERROR/.test(l));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include(`cannot listen on 127.0.0.1:${port}: the address is in use`).and.include('--http (PI_MESOS_HTTP)');
      expect(r.stderr).to.not.match(/^\s+at /m);
      expect(helpText()).to.match(/\n {2}69 {2}EX_UNAVAILABLE: the --http address is in use/);
    } finally {
      server.close();
    }
  });

  describe('8: --check-config checks what a start checks', () => {
    it('a secret file others can read: 78', () => {
      const secret = path.join(tmp, 'secret');
      fs.writeFileSync(secret, 's3cret\n', { mode: 0o644 });
      fs.chmodSync(secret, 0o644);
      const r = runMain(['--check-config', '--master', 'm:5050', '--principal', 'pi', '--secret-file', secret, '--http', 'off',
        '--executor', 'command:/usr/local/bin/pi-mesos-executor', '--state-dir', path.join(tmp, 'state-8a')]);
      expect(r.status).to.equal(EX_CONFIG);
      expect(r.stderr).to.match(/chmod 600/);
    });
    it('a precision other than the checkpoint\'s: 78', () => {
      const state = path.join(tmp, 'state-8b');
      const run = runMain(['--master', 'local[1]', '--display', 'none', '--http', 'off', '--state-dir', state, '--max-terms', '64', '--precision', '20']);
      expect(run.status, run.stderr).to.equal(0);
      const r = runMain(['--check-config', '--http', 'off', '--state-dir', state, '--precision', '40']);
      expect(r.status, r.stdout + r.stderr).to.equal(EX_CONFIG);
      expect(r.stderr).to.match(/checkpoint .* does not fit/);
    });
    it('unknown PI_MESOS_* variables are reported', () => {
      const r = runMain(['--check-config', '--http', 'off', '--state-dir', path.join(tmp, 'state-8c')], { PI_MESOS_PRECISON: '40' });
      expect(r.status).to.equal(0);
      expect(r.stderr).to.include('warning: ignoring unknown environment variable PI_MESOS_PRECISON');
    });
    it('an executor URL host with a port is refused', () => {
      expect(() => loadConfig(['--master', 'm:5050', '--executor-url-host', 'beef:9105'], {}, { cwd: tmp })).to.throw(ConfigError, /no port/);
    });
    it('a busy HTTP address: 69', async () => {
      const { port, server } = await freePort();
      try {
        const r = runMain(['--check-config', '--http', `127.0.0.1:${port}`, '--state-dir', path.join(tmp, 'state-8d')]);
        expect(r.status).to.equal(69);
        expect(r.stderr).to.include('the address is in use');
      } finally {
        server.close();
      }
    });
  });

  describe('9: --version, the build in the start line and metrics, --help, --environment-file', () => {
    it('--version prints the version and node', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
      const r = runMain(['--version']);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal(`pi-mesos ${pkg.version} (node ${process.version})\n`);
    });
    it('pi_mesos_build_info', () => {
      const text = formatMetrics(daemonMetricFamilies({
        offersReceived: 0, offersDeclined: 0, taskUpdatesByState: {}, tasksRunning: 0, tasksLaunched: 0, termsDone: 0,
        termsPerSecond: 0, certifiedDigits: 0, displayBusErrors: 0, masterReconnects: 0, subscribed: true, version: '9.9.9',
      }));
      expect(text).to.include(`pi_mesos_build_info{version="9.9.9",node="${process.version}"} 1`);
    });
    it('--help lists the exit codes and the signals', () => {
      const h = helpText();
      for (const s of ['Exit status:', '  0  ', '  70  EX_SOFTWARE', '  78  EX_CONFIG', 'Signals:', 'SIGTERM, SIGINT', 'SIGHUP']) expect(h).to.include(s);
    });
    it('--environment-file reads the settings as the unit does, values with spaces included', () => {
      const file = path.join(tmp, 'pi-mesos.env');
      fs.writeFileSync(file, '# settings\nPI_MESOS_FRAMEWORK_NAME=pi on the shelf\nPI_MESOS_HTTP=off\n');
      const r = runMain(['--environment-file', file, '--check-config', '--state-dir', path.join(tmp, 'state-9')], { PI_MESOS_PRECISION: '40' });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.include('framework-name=pi on the shelf\n');
      expect(r.stdout, 'the file replaces the PI_MESOS_* environment').to.include('precision=32\n');
      const bad = runMain(['--environment-file', path.join(tmp, 'missing.env'), '--check-config']);
      expect(bad.status).to.equal(EX_CONFIG);
      expect(bad.stderr).to.match(/invalid environment-file .*ENOENT/);
    });
  });

  it('10: ZooKeeper that does not answer is named, once, not "no leading master"', async () => {
    const { port, server } = await freePort();
    server.close();
    const logger = capture();
    const zk = new ZooKeeperMasterDetector({ servers: `127.0.0.1:${port}`, path: '/mesos', logger, unreachableWarnMs: 50 });
    // The scheduler on that detector: what its retries say, and the reason it keeps for STATUS.
    const client = new SchedulerClient({
      master: zk, framework: { user: 'nobody', name: 'opday 10' }, backoff: { initialMs: 20, maxMs: 40 }, logger,
    });
    const reasons: string[] = [];
    client.on('reconnecting', (_ms, reason) => reasons.push(reason));
    zk.start();
    client.start();
    try {
      await waitFor(() => logger.lines.some((l) => /does not answer/.test(l)), 10_000, 'the warning');
      expect(logger.lines.find((l) => /does not answer/.test(l))).to.equal(
        `warn ZooKeeper at 127.0.0.1:${port} does not answer, so no Mesos master can be found (zk://127.0.0.1:${port}/mesos); still trying`);
      const said = logger.lines.length;
      await waitFor(() => reasons.slice(-3).length === 3 && reasons.slice(-3).every((r) => r === `ZooKeeper at 127.0.0.1:${port} does not answer`), 10_000, 'retries naming ZooKeeper');
      expect(client.state.lastError).to.equal(`ZooKeeper at 127.0.0.1:${port} does not answer`);
      const after = logger.lines.slice(said);
      expect(after.filter((l) => /^(info|warn) .*no leading master known yet/.test(l)), 'no "no leading master" once ZooKeeper is named').to.deep.equal([]);
      expect(after.some((l) => l === `debug cannot subscribe to Mesos (ZooKeeper at 127.0.0.1:${port} does not answer)`)).to.equal(true);
    } finally {
      await client.stop();
      await zk.stop();
    }
  });

  it('12: tasks ended by the daemon\'s own shutdown keep their attempt and need no back-off', async () => {
    const dir = path.join(tmp, 'state-12');
    fs.mkdirSync(dir);
    for (let round = 0; round < 3; round++) {
      const fw = await PiFramework.open({ scale: scaleFor(20), stateDir: dir, logger: silentLogger, targetTaskSeconds: 3600 });
      const backend = new LocalBackend(fw, 1, silentLogger);
      await backend.start();
      await waitFor(() => backend.pool.running === 1, 10_000, 'a task running');
      await backend.stop();
      await fw.persist();
    }
    const state = JSON.parse(fs.readFileSync(PiFramework.stateFile(dir), 'utf8')) as { ledger: { queue: { attempt: number; notBefore: number }[]; inFlight: unknown[] } };
    expect(state.ledger.inFlight).to.deep.equal([]);
    expect(Math.max(...state.ledger.queue.map((q) => q.attempt))).to.be.at.most(1);
  });

  it('13: i2c-bus is optional; a panel without it is a clear configuration error', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };
    expect(pkg.dependencies).to.not.have.property('i2c-bus');
    expect(pkg.optionalDependencies).to.have.property('i2c-bus');
    expect(() => loadConfig(['--display', 'ssd1306'], {}, { cwd: tmp, i2cBusMissing: () => "Cannot find module 'i2c-bus'" }))
      .to.throw(ConfigError, /need the i2c-bus native module.*or use terminal, png or none/);
    expect(loadConfig(['--display', 'png:/tmp/x.png'], {}, { cwd: tmp, i2cBusMissing: () => 'missing' }).display.kind).to.equal('png');
  });
});
