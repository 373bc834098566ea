// Every bounded setting at its upper limit and one step beyond it (and at its lower limit and one
// step below): the limits the README and --help state, so a changed bound fails here by name.
import { expect } from 'chai';
import { ConfigError, ConfigHost, loadConfig } from '../../src/daemon/config';

const HOST: ConfigHost = {
  stdoutIsTTY: false, cpuCount: 4, userName: 'pi', homeDir: '/home/pi', cwd: '/srv', hostname: 'master-pi',
};

function accepts(argv: string[]): void {
  expect(() => loadConfig(argv, {}, HOST), argv.join(' ')).to.not.throw();
}

function refuses(argv: string[], field: string): void {
  let error: unknown;
  try {
    loadConfig(argv, {}, HOST);
  } catch (e) {
    error = e;
  }
  expect(error, `${argv.join(' ')} is refused`).to.be.instanceOf(ConfigError);
  expect((error as ConfigError).message, argv.join(' ')).to.contain(field);
}

describe('daemon/config: limits, at and beyond each bound', () => {
  // [flag, lowest accepted, below it, highest accepted, above it]
  const numeric: [string, string, string, string, string][] = [
    ['--precision', '10', '9', '10000', '10001'],
    ['--target-task-seconds', '1', '0.99', '86400', '86400.5'],
    ['--target-range-seconds', '0.1', '0.09', '3600', '3600.1'],
    ['--max-terms', '1', '0', String(Number.MAX_SAFE_INTEGER), String(2 ** 53)],
    ['--max-task-terms', '32', '0', String(2 ** 40), String(2 ** 40 + 32)],
    ['--executor-duty', '0.01', '0', '1', '1.01'],
    ['--executor-idle-seconds', '0', '-1', String(7 * 86400), String(7 * 86400 + 1)],
    ['--display-page-seconds', '1', '0.5', '3600', '3601'],
  ];
  for (const [flag, lo, below, hi, above] of numeric) {
    it(`${flag}: ${lo}..${hi}`, () => {
      const field = flag.slice(2);
      accepts([flag, lo]);
      accepts([flag, hi]);
      refuses([flag, below], field);
      refuses([flag, above], field);
    });
  }

  it('--max-terms reaches the end of the series, 2^52 terms', () => {
    expect(loadConfig(['--max-terms', String(2 ** 52)], {}, HOST).maxTerms).to.equal(2 ** 52);
  });

  it('--master local[N]: 1..1024 workers', () => {
    expect(loadConfig(['--master', 'local[1024]'], {}, HOST).master).to.deep.equal({ kind: 'local', workers: 1024 });
    expect(loadConfig(['--master', 'local[1]'], {}, HOST).master).to.deep.equal({ kind: 'local', workers: 1 });
    refuses(['--master', 'local[1025]'], 'master');
    refuses(['--master', 'local[0]'], 'master');
  });

  it('--failover-timeout: at most a year', () => {
    expect(loadConfig(['--failover-timeout', '365d'], {}, HOST).failoverTimeout).to.equal(365 * 86400);
    expect(loadConfig(['--failover-timeout', '31536000'], {}, HOST).failoverTimeout).to.equal(31_536_000);
    refuses(['--failover-timeout', '31536001'], 'failover-timeout');
    refuses(['--failover-timeout', '366d'], 'failover-timeout');
  });

  it('ports: 1..65535 for masters, 0..65535 for --http', () => {
    accepts(['--master', 'm1:65535', '--executor', 'command:/usr/bin/x']);
    refuses(['--master', 'm1:65536', '--executor', 'command:/usr/bin/x'], 'master');
    refuses(['--master', 'm1:0', '--executor', 'command:/usr/bin/x'], 'master');
    expect(loadConfig(['--http', '0.0.0.0:65535'], {}, HOST).http).to.deep.equal({ host: '0.0.0.0', port: 65535 });
    expect(loadConfig(['--http', '127.0.0.1:0'], {}, HOST).http).to.deep.equal({ host: '127.0.0.1', port: 0 });
    refuses(['--http', '0.0.0.0:65536'], 'http');
  });

  // Display options, with the I2C module taken as present: the limits are the spec's, not the host's.
  const panel = (spec: string): string[] => ['--display', spec];
  function panelAccepts(spec: string): void {
    expect(() => loadConfig(panel(spec), {}, { ...HOST, i2cBusMissing: () => null }), spec).to.not.throw();
  }
  function panelRefuses(spec: string): void {
    expect(() => loadConfig(panel(spec), {}, { ...HOST, i2cBusMissing: () => null }), spec).to.throw(ConfigError, /display/);
  }
  const display: [string, string[], string[]][] = [
    ['ssd1306', ['bus=0', 'bus=255', 'address=0x03', 'address=0x77', 'contrast=0', 'contrast=255', 'contrast=0xff', 'refresh=0', 'refresh=10', 'refresh=3600'],
      ['bus=256', 'address=0x02', 'address=0x78', 'contrast=256', 'contrast=0x100', 'refresh=9', 'refresh=3601', 'offset=1']],
    ['sh1106', ['offset=0', 'offset=4'], ['offset=5']],
    ['hd44780', ['bus=255', 'address=0x77', 'refresh=3600'], ['bus=256', 'address=0x78', 'refresh=3601']],
    ['png:/tmp/x.png', ['scale=1', 'scale=16'], ['scale=0', 'scale=17']],
  ];
  for (const [kind, ok, bad] of display) {
    it(`--display ${kind}: option limits`, () => {
      const join = (o: string): string => (kind.includes(':') ? `${kind},${o}` : `${kind}:${o}`);
      for (const o of ok) panelAccepts(join(o));
      for (const o of bad) panelRefuses(join(o));
    });
  }
});
