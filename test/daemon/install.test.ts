// `make install` into temporary trees, then the installed files themselves: the unit verified by
// systemd-analyze, the installed launcher run with --check-config, a bad value, and a local run.
import { expect } from 'chai';
import { spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EX_CONFIG, environmentVariables } from '../../src/daemon/config';

const ROOT = path.resolve(__dirname, '../../..');

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: 120_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
  });
}

function make(args: string[], umask = '022'): SpawnSyncReturns<string> {
  const r = run('sh', ['-c', `umask ${umask} && exec make --no-print-directory "$@"`, 'sh', ...args]);
  if (r.status !== 0) throw new Error(`make ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

describe('make install / uninstall', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-install-')); });
  after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

  describe('installed with PREFIX and SYSCONFDIR in a temporary tree', () => {
    let prefix: string;
    let etc: string;
    let unit: string;
    before(() => {
      prefix = path.join(tmp, 'real', 'usr');
      etc = path.join(tmp, 'real', 'etc');
      make(['install', `PREFIX=${prefix}`, `SYSCONFDIR=${etc}`, 'CREATE_I2C_GROUP=no']);
      unit = path.join(prefix, 'lib/systemd/system/pi-mesos.service');
    });

    it('installs a unit whose paths point into the install', () => {
      const text = fs.readFileSync(unit, 'utf8');
      expect(text).to.include(`ExecStart=${prefix}/bin/pi-mesos\n`);
      expect(text).to.include(`EnvironmentFile=-${etc}/default/pi-mesos\n`);
      expect(text).to.not.match(/\/usr\/local/);
      for (const line of ['Type=notify', 'NotifyAccess=all', 'RestartPreventExitStatus=78 216', 'KillMode=mixed', 'Restart=on-failure',
        'StateDirectory=pi-mesos', 'DevicePolicy=closed', 'DeviceAllow=char-i2c rw', 'SupplementaryGroups=i2c',
        'ProtectSystem=strict', 'NoNewPrivileges=yes', 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6']) {
        expect(text.split('\n'), line).to.include(line);
      }
      expect(text).to.match(/^WatchdogSec=\d+/m);
      expect(text).to.match(/^TimeoutStopSec=\d+/m);
      expect(text, 'V8 needs W^X off').to.not.match(/^MemoryDenyWriteExecute=/m);
      expect(text, 'it would hide /dev/i2c-*').to.not.match(/^PrivateDevices=/m);
    });

    it('passes systemd-analyze verify', function () {
      if (!has('systemd-analyze')) this.skip();
      const r = run('systemd-analyze', ['verify', '--man=no', unit]);
      expect(r.stderr + r.stdout).to.equal('');
      expect(r.status).to.equal(0);
    });

    it('keeps its systemd-analyze security exposure low', function () {
      if (!has('systemd-analyze')) this.skip();
      const r = run('systemd-analyze', ['security', '--offline=yes', '--no-pager', unit]);
      const m = /Overall exposure level for pi-mesos\.service: (\d+\.\d+)/.exec(r.stdout + r.stderr);
      if (!m) this.skip(); // systemd older than 250 has no offline mode
      expect(Number(m![1])).to.be.at.most(2.0);
    });

    it('ships the documented environment file with every PI_MESOS_* variable, commented', () => {
      const text = fs.readFileSync(path.join(etc, 'default/pi-mesos'), 'utf8');
      for (const name of environmentVariables()) expect(text, name).to.match(new RegExp(`^#${name}=`, 'm'));
      expect(text.split('\n').filter((l) => /^\s*[A-Z_]+=/.test(l)), 'nothing set by default').to.deep.equal([]);
    });

    it('runs the installed pi-mesos --check-config (exit 0)', () => {
      const r = run(path.join(prefix, 'bin/pi-mesos'), ['--check-config', '--master', 'local[1]', '--http', 'off']);
      expect(r.stderr).to.equal('');
      expect(r.status).to.equal(0);
      expect(r.stdout).to.include('master=local[1]\n');
      expect(r.stdout).to.include('http=off\n');
    });

    it('exits 78 naming the field for a bad flag or a bad environment value', () => {
      const flag = run(path.join(prefix, 'bin/pi-mesos'), ['--check-config', '--target-task-seconds', '0']);
      expect(flag.status).to.equal(EX_CONFIG);
      expect(flag.stderr).to.match(/target-task-seconds "0" \(from --target-task-seconds\): expected a number from 1 to 86400/);
      const env = run(path.join(prefix, 'bin/pi-mesos'), ['--check-config'], { env: { PI_MESOS_DISPLAY: 'vga' } });
      expect(env.status).to.equal(EX_CONFIG);
      expect(env.stderr).to.match(/invalid display "vga" \(from PI_MESOS_DISPLAY\)/);
      const unknown = run(path.join(prefix, 'bin/pi-mesos'), ['--colour']);
      expect(unknown.status).to.equal(EX_CONFIG);
      expect(unknown.stderr).to.match(/unknown option --colour/);
    });

    it('prints --help from the installed launcher', () => {
      const r = run(path.join(prefix, 'bin/pi-mesos'), ['--help']);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.match(/^Usage: pi-mesos/);
      expect(r.stdout).to.include('[PI_MESOS_MASTER]');
    });

    it('runs the installed daemon in local mode to --max-terms and exits 0', async () => {
      const state = path.join(tmp, 'state');
      const child = spawn(path.join(prefix, 'bin/pi-mesos'),
        ['--master', 'local[1]', '--display', 'none', '--state-dir', state, '--max-terms', '2000000', '--http', 'off'],
        { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code, out).to.equal(0);
      expect(out).to.match(/run complete: 2000000 terms/);
      expect(fs.readdirSync(state).length, 'a checkpoint in the state dir').to.be.greaterThan(0);
    });

    it('holds everything the daemon packs into the executor bundle for the Mesos fetcher', async () => {
      const lib = path.join(prefix, 'lib/pi-mesos');
      // The installed module, so PACKAGE_ROOT is the install, not the checkout.
      const bundle = require(path.join(lib, 'dist/src/daemon/executor-bundle.js')) as {
        buildExecutorBundle(outDir: string): Promise<string>;
      };
      const file = await bundle.buildExecutorBundle(path.join(tmp, 'bundle'));
      const r = run('tar', ['-tzf', file]);
      expect(r.status).to.equal(0);
      expect(r.stdout.split('\n')).to.include('dist/src/executor/main.js');
    });
  });

  describe('into a DESTDIR', () => {
    let dest: string;
    before(() => { dest = path.join(tmp, 'dest'); });

    it('installs under DESTDIR with the unit pointing at PREFIX, keeps an edited settings file, and uninstalls', () => {
      // A hardened root umask must not leave files the service's dynamic user cannot read.
      make(['install', `DESTDIR=${dest}`], '077');
      for (const p of ['usr/local/lib/pi-mesos/dist/src/daemon/main.js', 'usr/local/lib/pi-mesos/node_modules/protobufjs/package.json',
        'usr/local/lib/systemd/system/pi-mesos.service', 'etc/default/pi-mesos']) {
        expect(fs.statSync(path.join(dest, p)).mode & 0o004, `${p} world-readable`).to.equal(0o004);
      }
      expect(fs.statSync(path.join(dest, 'usr/local/lib/pi-mesos/dist/src/daemon')).mode & 0o005).to.equal(0o005);
      const unit = fs.readFileSync(path.join(dest, 'usr/local/lib/systemd/system/pi-mesos.service'), 'utf8');
      expect(unit).to.include('ExecStart=/usr/local/bin/pi-mesos\n');
      expect(unit).to.include('EnvironmentFile=-/etc/default/pi-mesos\n');
      const launcher = fs.readFileSync(path.join(dest, 'usr/local/bin/pi-mesos'), 'utf8');
      expect(launcher).to.match(/^#!\/bin\/sh\n/);
      expect(launcher).to.match(/exec \/\S+\/node --max-semi-space-size=1 \/usr\/local\/lib\/pi-mesos\/dist\/src\/daemon\/main\.js "\$@"/);
      expect(fs.statSync(path.join(dest, 'usr/local/bin/pi-mesos')).mode & 0o111).to.equal(0o111);
      expect(fs.existsSync(path.join(dest, 'usr/local/bin/pi-mesos-executor'))).to.equal(true);
      for (const p of ['dist/src/daemon/main.js', 'node_modules/systemd-notify/notify.js', 'proto/pi_task.proto', 'fonts', 'package.json']) {
        expect(fs.existsSync(path.join(dest, 'usr/local/lib/pi-mesos', p)), p).to.equal(true);
      }
      expect(fs.existsSync(path.join(dest, 'usr/local/lib/pi-mesos/node_modules/mocha')), 'no dev dependencies').to.equal(false);
      expect(fs.existsSync(path.join(dest, 'usr/local/lib/pi-mesos/dist/test')), 'no tests').to.equal(false);

      const settings = path.join(dest, 'etc/default/pi-mesos');
      fs.writeFileSync(settings, 'PI_MESOS_MASTER=zk://zk:2181/mesos\n');
      make(['install', `DESTDIR=${dest}`]);
      expect(fs.readFileSync(settings, 'utf8')).to.equal('PI_MESOS_MASTER=zk://zk:2181/mesos\n');
      expect(fs.existsSync(`${settings}.dist`)).to.equal(true);

      make(['uninstall', `DESTDIR=${dest}`]);
      for (const p of ['usr/local/lib/pi-mesos', 'usr/local/bin/pi-mesos', 'usr/local/bin/pi-mesos-executor',
        'usr/local/lib/systemd/system/pi-mesos.service', 'etc/default/pi-mesos.dist']) {
        expect(fs.existsSync(path.join(dest, p)), p).to.equal(false);
      }
      expect(fs.readFileSync(settings, 'utf8'), 'settings survive uninstall').to.equal('PI_MESOS_MASTER=zk://zk:2181/mesos\n');
    });
  });

  // Issue 11, point 14: `sudo make install` sees root's PATH, where the node that built the tree
  // (nvm's, /opt's) is often missing or an older one.
  describe('the node recorded in dist/.node', () => {
    let tree: string;
    let fakeNode: string;
    let marker: string;
    before(() => {
      // A checkout whose dist/.node names a node that is on no PATH: everything else links to
      // this one, read-only as make install treats it.
      tree = path.join(tmp, 'tree');
      fs.mkdirSync(path.join(tree, 'dist'), { recursive: true });
      for (const p of ['Makefile', 'fonts', 'proto', 'package.json', 'package-lock.json', 'README.md', 'systemd', 'node_modules']) {
        fs.symlinkSync(path.join(ROOT, p), path.join(tree, p));
      }
      fs.symlinkSync(path.join(ROOT, 'dist/src'), path.join(tree, 'dist/src'));
      fakeNode = path.join(tmp, 'nvm', 'versions', 'node', 'v20', 'bin', 'node');
      marker = path.join(tmp, 'fake-node-ran');
      fs.mkdirSync(path.dirname(fakeNode), { recursive: true });
      fs.writeFileSync(fakeNode, `#!/bin/sh\necho "$*" >> '${marker}'\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(tree, 'dist/.node'), `${fakeNode}\n`);
    });

    function install(dest: string, extra: string[] = []): SpawnSyncReturns<string> {
      // PATH has a node of its own (the one running this test), as root's would.
      const r = run('make', ['--no-print-directory', 'install', `DESTDIR=${dest}`, ...extra], { cwd: tree, env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` } });
      if (r.status !== 0) throw new Error(`make install failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      return r;
    }

    it('make install runs and writes into the launchers the node recorded in dist/.node, not the one on PATH', () => {
      const dest = path.join(tmp, 'dest-node');
      const r = install(dest);
      expect(r.stdout).to.include(`installed (node: ${fakeNode})`);
      for (const bin of ['pi-mesos', 'pi-mesos-executor']) {
        const launcher = fs.readFileSync(path.join(dest, 'usr/local/bin', bin), 'utf8');
        expect(launcher, bin).to.match(new RegExp(`\nexec ${fakeNode.replace(/[.]/g, '\\.')} (--max-semi-space-size=1 )?/usr/local/lib/pi-mesos/dist/src/`));
      }
      expect(fs.readFileSync(marker, 'utf8'), 'the version check and the module list ran on it').to.include('list-prod-modules.js');
    });

    it('NODE=... overrides dist/.node', () => {
      const dest = path.join(tmp, 'dest-node-override');
      const r = install(dest, [`NODE=${process.execPath}`]);
      expect(r.stdout).to.include(`installed (node: ${process.execPath})`);
      expect(fs.readFileSync(path.join(dest, 'usr/local/bin/pi-mesos'), 'utf8')).to.include(`\nexec ${process.execPath} --max-semi-space-size=1 /usr/local/lib/pi-mesos/`);
    });
  });
});
