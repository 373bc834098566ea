import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DaemonLogger, journalStreamMatches } from '../../src/common/log';
import { waitFor } from './support/wait';

class Sink {
  text = '';
  write(s: string): boolean { this.text += s; return true; }
  get lines(): string[] { return this.text.split('\n').filter((l) => l !== ''); }
}

describe('daemon/log', () => {
  const loggers: DaemonLogger[] = [];
  afterEach(() => { for (const l of loggers.splice(0)) l.close(); });
  function make(opts: Partial<ConstructorParameters<typeof DaemonLogger>[0]> = {}): { log: DaemonLogger; sink: Sink } {
    const sink = new Sink();
    const log = new DaemonLogger({ level: 'debug', journal: false, out: sink, ...opts });
    loggers.push(log);
    return { log, sink };
  }

  it('prefixes each line with its syslog priority for journald', () => {
    const { log, sink } = make({ journal: true });
    log.error('e'); log.warn('w'); log.notice('n'); log.info('i'); log.debug('d');
    expect(sink.lines).to.deep.equal(['<3>e', '<4>w', '<5>n', '<6>i', '<7>d']);
  });

  it('writes plain lines with an ISO timestamp and the level otherwise', () => {
    const { log, sink } = make({ now: () => new Date('2024-03-14T15:09:26.535Z') });
    log.warn('master unreachable');
    expect(sink.lines).to.deep.equal(['2024-03-14T15:09:26.535Z WARN   master unreachable']);
  });

  it('filters by level', () => {
    const { log, sink } = make({ journal: true, level: 'notice' });
    log.debug('d'); log.info('i'); log.notice('n'); log.error('e');
    expect(sink.lines).to.deep.equal(['<5>n', '<3>e']);
    log.setLevel('debug');
    log.debug('d2');
    expect(sink.lines.at(-1)).to.equal('<7>d2');
  });

  it('logs an error\'s message at error, and its stack only at debug', () => {
    const err = new Error('connect ECONNREFUSED 127.0.0.1:5050');
    const quiet = make({ journal: true, level: 'info' });
    quiet.log.error('subscribe failed', err);
    expect(quiet.sink.lines).to.deep.equal(['<3>subscribe failed: connect ECONNREFUSED 127.0.0.1:5050']);
    const loud = make({ journal: true, level: 'debug' });
    loud.log.error('subscribe failed', err);
    expect(loud.sink.lines[0]).to.equal('<3>subscribe failed: connect ECONNREFUSED 127.0.0.1:5050');
    expect(loud.sink.lines[1]).to.equal('<7>Error: connect ECONNREFUSED 127.0.0.1:5050');
    expect(loud.sink.lines.slice(2).length).to.be.greaterThan(0);
    expect(loud.sink.lines.slice(2).every((l) => l.startsWith('<7>    at '))).to.equal(true);
    const before = loud.sink.lines.length;
    loud.log.error('subscribe failed', err);
    expect(loud.sink.lines.length).to.equal(before, 'a repeated error is counted, stack and all');
  });

  it('fatal() always writes the stack at error priority, one prefix per line', () => {
    const { log, sink } = make({ journal: true, level: 'error' });
    log.fatal('uncaught exception', new TypeError('boom'));
    expect(sink.lines[0]).to.equal('<3>uncaught exception: TypeError: boom');
    expect(sink.lines.length).to.be.greaterThan(1);
    expect(sink.lines.every((l) => l.startsWith('<3>'))).to.equal(true);
  });

  it('rate-limits identical errors and reports the count', () => {
    let t = 1_000_000;
    const { log, sink } = make({ journal: true, level: 'info', now: () => new Date(t), repeatWindowMs: 60_000 });
    for (let i = 0; i < 13; i++) { log.error('bus write failed', new Error('EREMOTEIO')); t += 100; }
    log.error('another error');
    expect(sink.lines).to.deep.equal(['<3>bus write failed: EREMOTEIO', '<3>another error']);
    t += 60_000;
    log.error('bus write failed', new Error('EREMOTEIO'));
    expect(sink.lines.slice(2)).to.deep.equal([
      '<3>bus write failed: EREMOTEIO (repeated 12 times)',
      '<3>bus write failed: EREMOTEIO',
    ]);
    log.error('bus write failed', new Error('EREMOTEIO'));
    log.close();
    expect(sink.lines.at(-1)).to.equal('<3>bus write failed: EREMOTEIO (repeated 1 time)');
  });

  it('does not rate-limit distinct messages or other levels', () => {
    const { log, sink } = make({ journal: true });
    log.info('tick'); log.info('tick'); log.warn('a'); log.warn('b');
    expect(sink.lines).to.deep.equal(['<6>tick', '<6>tick', '<4>a', '<4>b']);
  });

  it('writes the summary when the window ends even if the error stops', async () => {
    const { log, sink } = make({ journal: true, repeatWindowMs: 50 });
    log.warn('panel not answering');
    log.warn('panel not answering');
    log.warn('panel not answering');
    expect(sink.lines).to.deep.equal(['<4>panel not answering']);
    await waitFor(() => sink.lines.length === 2, 5000, 'the repeat summary');
    expect(sink.lines[1]).to.equal('<4>panel not answering (repeated 2 times)');
  });

  describe('journalStreamMatches', () => {
    let dir: string;
    let fd: number;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-log-'));
      fd = fs.openSync(path.join(dir, 'stream'), 'w');
    });
    after(() => { fs.closeSync(fd); fs.rmSync(dir, { recursive: true, force: true }); });

    it('is true only when JOURNAL_STREAM names the descriptor\'s device and inode', () => {
      const st = fs.fstatSync(fd, { bigint: true });
      expect(journalStreamMatches({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).to.equal(true);
      expect(journalStreamMatches({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, fd)).to.equal(false);
      expect(journalStreamMatches({ JOURNAL_STREAM: 'garbage' }, fd)).to.equal(false);
      expect(journalStreamMatches({}, fd)).to.equal(false);
    });
  });
});
