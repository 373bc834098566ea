import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Config, ConfigError, ConfigHost, defaultHost, describeConfig, EX_CONFIG, envName, helpText, loadConfig, wantsHelp } from '../../src/daemon/config';

const HOST: ConfigHost = {
  stdoutIsTTY: false, cpuCount: 4, userName: 'pi', homeDir: '/home/pi', cwd: '/srv', hostname: 'master-pi',
};

function load(argv: string[], env: NodeJS.ProcessEnv = {}, host: Partial<ConfigHost> = {}): Config {
  return loadConfig(argv, env, { ...HOST, ...host });
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('daemon/config', () => {
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-config-')); });
  after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

  it('uses the documented defaults', () => {
    const c = load([]);
    expect(EX_CONFIG).to.equal(78);
    expect(c.master).to.deep.equal({ kind: 'local', workers: 4 });
    expect(c.role).to.equal('*');
    expect(c.frameworkName).to.equal('pi-mesos');
    // Not the daemon's own user: under DynamicUser that exists on the master Pi only.
    expect(c.user).to.equal('nobody');
    expect(c.executorNode).to.equal('node');
    expect(c.executorDuty).to.equal(1);
    expect(c.executorIdleSeconds).to.equal(300);
    expect(c.failoverTimeout).to.equal(604800);
    expect(c.stateDir).to.equal('/home/pi/.cache/pi-mesos');
    expect(c.display).to.deep.equal({ kind: 'none' });
    expect(c.displayPageSeconds).to.equal(5);
    expect(c.dim).to.equal(null);
    expect(c.displayOnStop).to.equal('stopped');
    expect(c.precision).to.equal(32);
    expect(c.targetTaskSeconds).to.equal(300);
    expect(c.targetRangeSeconds).to.equal(10);
    expect(c.maxTerms).to.equal(null);
    expect(c.executor).to.deep.equal({ kind: 'fetch' });
    expect(c.http).to.deep.equal({ host: '127.0.0.1', port: 9105 });
    expect(c.executorUrlHost).to.equal('127.0.0.1');
    expect(c.logLevel).to.equal('info');
    expect(c.wireFormat).to.equal('protobuf');
    expect([c.teardown, c.checkConfig, c.help]).to.deep.equal([false, false, false]);
    expect(c.principal).to.equal(null);
    expect(c.secret).to.equal(null);
    expect(c.warnings).to.deep.equal([]);
  });

  it('defaults the display to terminal on a TTY, and the state dir to systemd and XDG locations', () => {
    expect(load([], {}, { stdoutIsTTY: true }).display.kind).to.equal('terminal');
    expect(load([], { STATE_DIRECTORY: '/var/lib/pi-mesos:/var/lib/other' }).stateDir).to.equal('/var/lib/pi-mesos');
    expect(load([], { XDG_CACHE_HOME: '/tmp/xdg' }).stateDir).to.equal('/tmp/xdg/pi-mesos');
    expect(load([], { XDG_CACHE_HOME: 'relative' }).stateDir).to.equal('/home/pi/.cache/pi-mesos');
  });

  it('takes the home directory from $HOME before the passwd entry, as os.homedir() does', () => {
    expect(defaultHost({ HOME: '/srv/home-of-pi' }).homeDir).to.equal('/srv/home-of-pi');
    expect(defaultHost({ HOME: 'relative' }).homeDir).to.equal(os.userInfo().homedir);
    expect(defaultHost({}).homeDir).to.equal(os.userInfo().homedir);
    // The environment loadConfig is given (an --environment-file's included), not the process's.
    expect(loadConfig([], { HOME: '/srv/home-of-pi' }).stateDir).to.equal('/srv/home-of-pi/.cache/pi-mesos');
  });

  it('takes flags over environment over defaults, in both --flag value and --flag=value forms', () => {
    const env = { PI_MESOS_PRECISION: '50', PI_MESOS_ROLE: 'pi', PI_MESOS_LOG_LEVEL: 'debug', PI_MESOS_FRAMEWORK_NAME: '' };
    const c = load(['--precision', '30', '--log-level=warn'], env);
    expect(c.precision).to.equal(30);
    expect(c.logLevel).to.equal('warn');
    expect(c.role).to.equal('pi');
    expect(c.frameworkName).to.equal('pi-mesos', 'an empty variable counts as unset');
  });

  it('parses every master form', () => {
    expect(load(['--master', 'local[2]']).master).to.deep.equal({ kind: 'local', workers: 2 });
    expect(load(['--master', 'm1:5050,10.0.0.2:5050,[fd00::1]:5050']).master)
      .to.deep.equal({ kind: 'static', masters: ['m1:5050', '10.0.0.2:5050', '[fd00::1]:5050'] });
    expect(load(['--master', 'https://m1:5050/']).master).to.deep.equal({ kind: 'static', masters: ['https://m1:5050'] });
    expect(load(['--master', 'zk://z1:2181,z2:2181/mesos']).master).to.deep.equal({ kind: 'zk', url: 'zk://z1:2181,z2:2181/mesos' });
    for (const bad of ['local[0]', 'local[x]', 'm1', 'm1:99999', 'zk://z1:2181', 'zk:///mesos', 'zk://z1/mesos', 'm1:5050,,m2:5050']) {
      const e = configError(() => load(['--master', bad]));
      expect(e.field, bad).to.equal('master');
      expect(e.value).to.equal(bad);
      expect(e.message).to.match(/local\[N\]/);
    }
  });

  it('names the field, the value, the source and what is allowed', () => {
    const e = configError(() => load([], { PI_MESOS_PRECISION: '5' }));
    expect(e.field).to.equal('precision');
    expect(e.value).to.equal('5');
    expect(e.source).to.equal('PI_MESOS_PRECISION');
    expect(e.message).to.equal('invalid precision "5" (from PI_MESOS_PRECISION): expected an integer from 10 to 10000 digits');
    const f = configError(() => load(['--precision=abc']));
    expect(f.source).to.equal('--precision');
  });

  const cases: [string[], string][] = [
    [['--precision', '10001'], 'precision'],
    [['--precision', '20.5'], 'precision'],
    [['--target-task-seconds', '0'], 'target-task-seconds'],
    [['--target-task-seconds', '86401'], 'target-task-seconds'],
    [['--target-range-seconds', '0.05'], 'target-range-seconds'],
    [['--display-page-seconds', '-1'], 'display-page-seconds'],
    [['--max-terms', '0'], 'max-terms'],
    [['--max-terms', '1.5'], 'max-terms'],
    [['--max-task-terms', '100'], 'max-task-terms'],
    [['--max-task-terms', '16'], 'max-task-terms'],
    [['--failover-timeout', 'forever'], 'failover-timeout'],
    [['--log-level', 'verbose'], 'log-level'],
    [['--wire-format', 'xml'], 'wire-format'],
    [['--display-on-stop', 'off'], 'display-on-stop'],
    [['--dim', '25:00-07:00'], 'dim'],
    [['--dim', 'night'], 'dim'],
    [['--http', 'localhost'], 'http'],
    [['--http', '127.0.0.1:70000'], 'http'],
    [['--executor', 'command:relative/path'], 'executor'],
    [['--executor', 'docker'], 'executor'],
    [['--executor-url-host', 'host:80'], 'executor-url-host'],
    [['--role', '.hidden'], 'role'],
    [['--role', 'a b'], 'role'],
    [['--principal', 'a:b'], 'principal'],
    [['--user', 'two words'], 'user'],
    [['--framework-name', ''], 'framework-name'],
    [['--teardown=maybe'], 'teardown'],
    [['--display', 'vga'], 'display'],
    [['--display', 'ssd1306:address=0x99'], 'display'],
    [['--ca-file', '/nonexistent/ca.pem'], 'ca-file'],
    [['--bogus', '1'], 'bogus'],
    [['--master'], 'master'],
    [['--master', '--display', 'none'], 'master'],
    [['stray'], 'arguments'],
  ];
  for (const [argv, field] of cases) {
    it(`rejects ${argv.join(' ')} naming ${field}`, () => {
      const e = configError(() => load(argv));
      expect(e.field).to.equal(field);
      expect(e.message).to.include(field);
      expect(e.message).to.match(/expected .+/);
    });
  }

  it('says plainly that an option is unknown', () => {
    expect(configError(() => load(['--mastr=local'])).message).to.equal('unknown option --mastr; did you mean --master? expected one of the options listed by --help');
    expect(configError(() => load(['--env-file', 'x'])).message).to.equal('unknown option --env-file; did you mean --environment-file? expected one of the options listed by --help');
    expect(configError(() => load(['--colour=red'])).message).to.equal('unknown option --colour; expected one of the options listed by --help');
  });

  it('wraps the display module\'s error, keeping its explanation', () => {
    const e = configError(() => load(['--display=ssd1306:address=0x99']));
    expect(e.field).to.equal('display');
    expect(e.message).to.match(/address/);
  });

  it('accepts the display, dim and duration forms', () => {
    const c = load(['--display', 'ssd1306:bus=1,address=0x3d', '--dim', '22:00-07:00', '--failover-timeout', '2h',
      '--display-on-stop', 'blank', '--max-terms', '1000000', '--teardown', '--wire-format', 'json', '--master', 'm1:5050'],
      {}, { i2cBusMissing: () => null });
    expect(c.display.kind).to.equal('ssd1306');
    expect(c.displayText).to.equal('ssd1306:bus=1,address=0x3d');
    expect(c.dim).to.equal('22:00-07:00');
    expect(c.failoverTimeout).to.equal(7200);
    expect(c.displayOnStop).to.equal('blank');
    expect(c.maxTerms).to.equal(1000000);
    expect(c.teardown).to.equal(true);
    expect(c.wireFormat).to.equal('json');
    expect(load(['--dim', 'off']).dim).to.equal(null);
  });

  it('reads the secret from its file only, and refuses a secret on the command line or in the environment', () => {
    const secretPath = path.join(tmp, 'secret');
    fs.writeFileSync(secretPath, 's3cret\n', { mode: 0o600 });
    const c = load(['--principal', 'pi', '--secret-file', secretPath]);
    expect(c.secret).to.equal('s3cret');
    expect(c.secretFile).to.equal(secretPath);
    expect(describeConfig(c)).to.not.include('s3cret');
    const e = configError(() => load(['--secret', 's3cret']));
    expect(e.field).to.equal('secret');
    expect(e.message).to.not.include('s3cret');
    expect(configError(() => load([], { PI_MESOS_SECRET: 'x' })).field).to.equal('secret');
    expect(configError(() => load(['--secret-file', secretPath])).field).to.equal('secret-file');
    expect(configError(() => load(['--principal', 'pi', '--secret-file', path.join(tmp, 'missing')])).message).to.match(/ENOENT/);
    const empty = path.join(tmp, 'empty');
    fs.writeFileSync(empty, '');
    expect(configError(() => load(['--principal', 'pi', '--secret-file', empty])).field).to.equal('secret-file');
  });

  it('rejects a state dir that is a file', () => {
    const file = path.join(tmp, 'file');
    fs.writeFileSync(file, '');
    expect(configError(() => load(['--state-dir', file])).field).to.equal('state-dir');
    expect(load(['--state-dir', 'rel']).stateDir).to.equal('/srv/rel');
  });

  it('derives the executor URL host and checks fetch against --http in Mesos mode', () => {
    expect(load(['--http', '0.0.0.0:9105']).executorUrlHost).to.equal('master-pi');
    expect(load(['--http', '[::1]:0']).http).to.deep.equal({ host: '::1', port: 0 });
    expect(load(['--http', 'off']).executorUrlHost).to.equal(null);
    expect(load(['--executor-url-host', '10.0.0.1']).executorUrlHost).to.equal('10.0.0.1');
    expect(configError(() => load(['--master', 'm1:5050', '--http', 'off'])).field).to.equal('executor');
    expect(load(['--master', 'm1:5050', '--http', 'off', '--executor', 'command:/opt/pi-mesos/bin/pi-mesos-executor']).executor)
      .to.deep.equal({ kind: 'command', path: '/opt/pi-mesos/bin/pi-mesos-executor' });
    expect(load(['--master', 'm1:5050']).warnings.join('\n')).to.match(/only an agent on this host/);
    // --teardown launches nothing, so it needs no bundle served (an operator's unit may have --http off).
    expect(load(['--master', 'm1:5050', '--http', 'off', '--teardown']).teardown).to.equal(true);
  });

  it('warns about unknown PI_MESOS_ variables instead of ignoring them silently', () => {
    const c = load([], { PI_MESOS_MASTR: 'local' });
    expect(c.warnings).to.deep.equal(['ignoring unknown environment variable PI_MESOS_MASTR (see pi-mesos --help)']);
  });

  it('documents every option and its environment variable in --help', () => {
    const text = helpText();
    const flags = ['master', 'principal', 'secret-file', 'ca-file', 'role', 'framework-name', 'user', 'failover-timeout',
      'state-dir', 'display', 'display-page-seconds', 'dim', 'display-on-stop', 'precision', 'target-task-seconds',
      'max-terms', 'max-task-terms', 'executor', 'executor-url-host', 'http', 'log-level', 'wire-format'];
    for (const f of flags) {
      expect(text).to.include(`--${f}`);
      expect(text).to.include(`[${envName(f)}]`);
    }
    expect(text).to.include('--check-config');
    // A command, not a setting: no variable.
    expect(text).to.include('--teardown');
    expect(text).to.not.include('[PI_MESOS_TEARDOWN]');
    expect(text).to.not.include('PI_MESOS_CHECK_CONFIG');
    expect(load(['--help']).help).to.equal(true);
    expect(wantsHelp(['--precision', '1', '--help'])).to.equal(true);
    expect(load(['--check-config']).checkConfig).to.equal(true);
  });

  it('takes the agents\' node binary, duty cycle and idle exit for the executors, and refuses bad ones naming the field', () => {
    const c = load(['--master', 'm:5050', '--executor-node', '/opt/node-v20/bin/node', '--executor-duty', '0.5', '--executor-idle-seconds', '0']);
    expect(c.executorNode).to.equal('/opt/node-v20/bin/node');
    expect(c.executorDuty).to.equal(0.5);
    expect(c.executorIdleSeconds).to.equal(0);
    expect(load([], { PI_MESOS_EXECUTOR_NODE: 'nodejs' }).executorNode).to.equal('nodejs');
    for (const bad of ['node 20', 'bin/node', '/opt/my node', '']) {
      if (bad === '') continue;
      const e = configError(() => load(['--executor-node', bad]));
      expect(e.field).to.equal('executor-node');
    }
    expect(configError(() => load(['--executor-duty', '0'])).field).to.equal('executor-duty');
    expect(configError(() => load(['--executor-duty', '1.5'])).field).to.equal('executor-duty');
    // One wording whatever is wrong with the value.
    for (const bad of ['0', '1.5', 'half', '-0.5']) {
      expect(configError(() => load(['--executor-duty', bad])).message).to.include('expected a fraction above 0 and at most 1');
    }
    expect(configError(() => load(['--executor-idle-seconds', '-1'])).field).to.equal('executor-idle-seconds');
    const shown = describeConfig(load(['--master', 'm:5050', '--user', 'pi']));
    expect(shown).to.match(/^user=pi$/m).and.match(/^executor-node=node$/m);
  });
});
