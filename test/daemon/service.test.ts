// The daemon as systemd runs it: a child process with NOTIFY_SOCKET bound by the test (a real
// AF_UNIX datagram socket), WATCHDOG_USEC set, and stderr connected to a stream named by
// JOURNAL_STREAM, as journald's would be.
import { expect } from 'chai';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { NotifySocket, python3Available } from './support/notify-socket';
import { waitFor } from './support/wait';

const MAIN = path.resolve(__dirname, '../../src/daemon/main.js');

interface Daemon {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Starts the daemon with stderr going to `stderrFile` (so its inode can be named in JOURNAL_STREAM). */
function startDaemon(args: string[], env: NodeJS.ProcessEnv, stderrFile: string): Daemon {
  const fd = fs.openSync(stderrFile, 'w');
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'ignore', fd],
  });
  fs.closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, stderr: () => fs.readFileSync(stderrFile, 'utf8') };
}

function journalStreamOf(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

function get(port: number, pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: pathname }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('the daemon under a (test) service manager', function () {
  this.timeout(90_000);
  let dir: string;
  let sock: NotifySocket;
  const running: Daemon[] = [];

  before(function () {
    // The notify listener needs python3 (Node cannot bind AF_UNIX datagram sockets).
    if (!python3Available()) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-service-'));
  });
  beforeEach(async () => { sock = await NotifySocket.open(fs.mkdtempSync(path.join(dir, 'n-'))); });
  afterEach(async () => {
    for (const d of running.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) {
        d.child.kill('SIGKILL');
        await d.exited;
      }
    }
    await sock?.close();
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('notifies READY, changing STATUS and WATCHDOG, logs for journald, and on SIGTERM sends STOPPING and exits 0', async () => {
    const stderrFile = path.join(dir, 'journal-stream');
    fs.writeFileSync(stderrFile, '');
    const d = startDaemon(
      ['--master', 'local[1]', '--display', 'none', '--state-dir', path.join(dir, 'state-1'), '--http', '127.0.0.1:0', '--target-task-seconds', '1'],
      { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '400000', JOURNAL_STREAM: journalStreamOf(stderrFile) },
      stderrFile,
    );
    running.push(d);

    await sock.waitFor(() => sock.count('READY', '1') === 1, 'READY=1', 30_000);
    const ready = sock.messages.find((m) => m.get('READY') === '1')!;
    expect(ready.get('MAINPID')).to.equal(String(d.child.pid));
    expect(ready.get('STATUS')).to.be.a('string').and.not.equal('');

    await sock.waitFor(() => sock.count('WATCHDOG', '1') >= 3, 'three WATCHDOG=1', 30_000);
    await sock.waitFor(() => new Set(sock.statuses()).size >= 2, 'a changed STATUS', 30_000);

    // The HTTP endpoints are up, on the port the log names.
    const m = /HTTP endpoints on http:\/\/127\.0\.0\.1:(\d+)\//.exec(d.stderr());
    expect(m, d.stderr()).to.not.equal(null);
    const metrics = await get(Number(m![1]), '/metrics');
    expect(metrics).to.match(/^pi_mesos_terms_done \d+$/m);
    // The first ranges may not have certified a digit yet when STATUS first changes: poll /status
    // until one is (a daemon that never certifies one fails on the deadline).
    let certified = '';
    const deadline = Date.now() + 30_000;
    while (!/^3/.test(certified) && Date.now() < deadline) {
      certified = (JSON.parse(await get(Number(m![1]), '/status')) as { pi: { certified: string } }).pi.certified;
    }
    expect(certified).to.match(/^3/);

    expect(sock.count('STOPPING')).to.equal(0);
    d.child.kill('SIGTERM');
    const end = await d.exited;
    expect(end, d.stderr()).to.deep.equal({ code: 0, signal: null });
    await sock.waitFor(() => sock.count('STOPPING', '1') === 1, 'STOPPING=1', 10_000);

    const lines = d.stderr().split('\n').filter((l) => l !== '');
    expect(lines.length).to.be.greaterThan(1);
    for (const l of lines) expect(l, 'every line carries a syslog priority').to.match(/^<[3-7]>/);
    expect(lines).to.include('<5>SIGTERM: stopping');
  });

  it('logs plain timestamped lines when stderr is not the stream JOURNAL_STREAM names, and runs without NOTIFY_SOCKET', async () => {
    const stderrFile = path.join(dir, 'plain');
    fs.writeFileSync(stderrFile, '');
    const other = path.join(dir, 'other');
    fs.writeFileSync(other, '');
    const d = startDaemon(
      ['--master', 'local[1]', '--display', 'none', '--state-dir', path.join(dir, 'state-2'), '--http', 'off', '--max-terms', '2000000'],
      { JOURNAL_STREAM: journalStreamOf(other) },
      stderrFile,
    );
    running.push(d);
    const end = await d.exited;
    expect(end, d.stderr()).to.deep.equal({ code: 0, signal: null });
    const lines = d.stderr().split('\n').filter((l) => l !== '');
    expect(lines.length).to.be.greaterThan(0);
    for (const l of lines) expect(l).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (ERROR|WARN|NOTICE|INFO|DEBUG)\s/);
    expect(d.stderr()).to.match(/run complete: 2000000 terms/);
    expect(sock.datagrams, 'nothing notified without NOTIFY_SOCKET').to.deep.equal([]);
  });

  it('exits 78 naming the field on a bad configuration, without notifying READY', async () => {
    const stderrFile = path.join(dir, 'bad');
    const d = startDaemon(['--display', 'none'], { NOTIFY_SOCKET: sock.path, PI_MESOS_PRECISION: '5' }, stderrFile);
    running.push(d);
    const end = await d.exited;
    expect(end.code).to.equal(78);
    expect(d.stderr()).to.match(/precision "5" \(from PI_MESOS_PRECISION\): expected an integer from 10 to 10000/);
    expect(sock.count('READY')).to.equal(0);
  });
});
