import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CredentialsError, loadCredentials } from '../../src/mesos/credentials';
import { OperatorClient } from '../../src/mesos/operator';
import { SchedulerClient } from '../../src/mesos/scheduler';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent } from '../support/mesos/wait';
import { fastClient, fastCluster } from './helpers';

describe('credentials file', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-cred-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string, mode: number): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    fs.chmodSync(file, mode);
    return file;
  }

  it('reads "principal secret", JSON, or a bare secret with the principal given', () => {
    expect(loadCredentials(write('a', 'pi s3cret\n', 0o600))).to.deep.equal({ principal: 'pi', secret: 's3cret' });
    expect(loadCredentials(write('b', '{"principal":"pi","secret":"x y"}', 0o400))).to.deep.equal({ principal: 'pi', secret: 'x y' });
    expect(loadCredentials(write('c', 'only-the-secret\n', 0o600), 'fw')).to.deep.equal({ principal: 'fw', secret: 'only-the-secret' });
  });

  it('refuses a file readable by group or others, saying how to fix it', () => {
    const file = write('d', 'pi s3cret\n', 0o644);
    expect(() => loadCredentials(file)).to.throw(CredentialsError, /accessible by group or others \(mode 0644\).*chmod 600/);
    expect(() => loadCredentials(write('e', 'pi s3cret\n', 0o640))).to.throw(CredentialsError, /0640/);
  });

  it('explains a missing, empty or malformed file', () => {
    expect(() => loadCredentials(path.join(dir, 'missing'))).to.throw(CredentialsError, /cannot read/);
    expect(() => loadCredentials(write('f', '\n', 0o600), 'p')).to.throw(CredentialsError, /empty/);
    expect(() => loadCredentials(write('g', 'just-one-word\n', 0o600))).to.throw(CredentialsError, /principal secret/);
    expect(() => loadCredentials(write('h', '{"principal":"p"}', 0o600))).to.throw(CredentialsError, /"secret"/);
  });
});

describe('https with a CA file', function () {
  this.timeout(20000);
  let dir: string;
  let cluster: TestMesosCluster | undefined;
  let client: SchedulerClient | undefined;

  before(function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      if (process.env.CI === 'true') throw new Error('openssl is needed on CI to make test certificates');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-tls-'));
    const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=pi-mesos test CA', '-days', '2');
    run('req', ...ec, '-keyout', 'master.key', '-out', 'master.csr', '-subj', '/CN=127.0.0.1');
    fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'master.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'master.pem', '-days', '2', '-extfile', 'san.ext');
  });

  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await cluster?.stop();
    cluster = undefined;
  });

  async function tlsCluster(masters = 1): Promise<TestMesosCluster> {
    const c = fastCluster({
      masters,
      tls: { key: fs.readFileSync(path.join(dir, 'master.key')), cert: fs.readFileSync(path.join(dir, 'master.pem')) },
    });
    await c.start();
    return c;
  }

  it('subscribes over https trusting the given CA, following a scheme-relative redirect', async () => {
    cluster = await tlsCluster(2);
    await cluster.failover(1);
    client = fastClient(cluster.masters[0].address, { scheme: 'https', tls: { caFile: path.join(dir, 'ca.pem') } });
    const p = nextEvent<[{ master: string }]>(client, 'subscribed');
    client.start();
    const [info] = await p;
    expect(info.master).to.equal(`https://${cluster.masters[1].address}`);
    await client.reconcile();
    const operator = new OperatorClient({ master: cluster.masterSpec, scheme: 'https', tls: { caFile: path.join(dir, 'ca.pem') } });
    try {
      expect(await operator.getAgents()).to.deep.equal([]);
    } finally {
      await operator.close();
    }
  });

  it('does not trust a master whose certificate the CA did not sign', async () => {
    cluster = await tlsCluster();
    client = fastClient(cluster.masterSpec, { scheme: 'https' });
    const p = nextEvent<[number, string]>(client, 'reconnecting');
    client.start();
    const [, reason] = await p;
    expect(reason).to.match(/certificate/i);
    expect(client.state.subscriptions).to.equal(0);
  });
});
