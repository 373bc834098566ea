import { expect } from 'chai';
import * as zookeeper from 'node-zookeeper-client';
import { MemoryLogger } from '../../src/common/logger';
import { createMasterDetector, masterUrlFromInfoJson, parseMasterSpec, ZooKeeperMasterDetector } from '../../src/mesos/detector';
import { SchedulerClient } from '../../src/mesos/scheduler';
import { TestMesosCluster } from '../support/mesos/cluster';
import { nextEvent, waitFor } from '../support/mesos/wait';
import { startZooKeeper, ZooKeeperServer, zooKeeperUnavailableReason } from '../support/zookeeper';
import { fastClient, fastCluster } from './helpers';

describe('master detection', () => {
  it('parses static lists, default ports and zk:// addresses', () => {
    expect(parseMasterSpec('m1:5050, m2')).to.deep.equal({ kind: 'static', urls: ['http://m1:5050', 'http://m2:5050'] });
    expect(parseMasterSpec('m1:5050', 'https')).to.deep.equal({ kind: 'static', urls: ['https://m1:5050'] });
    expect(parseMasterSpec('http://10.0.0.1:5050')).to.deep.equal({ kind: 'static', urls: ['http://10.0.0.1:5050'] });
    expect(parseMasterSpec('zk://u:p@z1:2181,z2:2181/mesos/')).to.deep.equal({
      kind: 'zookeeper', servers: 'z1:2181,z2:2181', path: '/mesos', auth: 'u:p',
    });
    expect(() => parseMasterSpec('zk://z1:2181')).to.throw(/needs a path/);
    expect(() => parseMasterSpec('')).to.throw(/empty/);
  });

  it('reads the master address from MasterInfo JSON as Mesos writes it', () => {
    expect(masterUrlFromInfoJson('{"address":{"hostname":"m1","ip":"10.0.0.5","port":5050},"hostname":"m1","ip":84017162,"port":5050}'))
      .to.equal('http://10.0.0.5:5050');
    expect(masterUrlFromInfoJson('{"address":{"hostname":"m1","ip":"10.0.0.5","port":5050}}', 'http', true)).to.equal('http://m1:5050');
    // Old masters: only the packed IPv4 (network byte order) and port.
    expect(masterUrlFromInfoJson('{"ip":16777343,"port":5051}')).to.equal('http://127.0.0.1:5051');
  });
});

describe('ZooKeeper master detection (real ZooKeeper)', function () {
  this.timeout(30000);
  let zk: ZooKeeperServer | undefined;
  let admin: zookeeper.Client | undefined;

  before(async function () {
    const reason = zooKeeperUnavailableReason();
    if (reason) {
      if (process.env.CI === 'true') throw new Error(`ZooKeeper is required on CI: ${reason}`);
      this.skip();
    }
    zk = await startZooKeeper();
    admin = zookeeper.createClient(zk.connectString, { sessionTimeout: 10000 });
    await new Promise<void>((resolve) => {
      admin?.once('connected', () => resolve());
      admin?.connect();
    });
  });

  after(async () => {
    admin?.close();
    await zk?.stop();
  });

  function create(path: string, data: string, mode = zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL): Promise<string> {
    return new Promise((resolve, reject) => {
      admin?.mkdirp(path.replace(/\/[^/]*$/, ''), (e1) => {
        if (e1) return reject(e1);
        admin?.create(path, Buffer.from(data), mode, (e2, created) => (e2 ? reject(e2) : resolve(created)));
      });
    });
  }

  function remove(path: string): Promise<void> {
    return new Promise((resolve, reject) => admin?.remove(path, (e) => (e ? reject(e) : resolve())));
  }

  const info = (port: number): string => JSON.stringify({ address: { hostname: 'localhost', ip: '127.0.0.1', port }, id: `m${port}`, ip: 16777343, port });

  it('follows the lowest json.info_ node, ignoring other nodes, and a missing path', async () => {
    const detector = new ZooKeeperMasterDetector({ servers: (zk as ZooKeeperServer).connectString, path: '/detect', logger: new MemoryLogger() });
    const seen: (string | null)[] = [];
    detector.on('leader', (u) => seen.push(u));
    detector.start();
    try {
      // The path does not exist yet: no leader, and the detector waits for it.
      expect(detector.candidates()).to.deep.equal([]);
      await create('/detect/log_replicas', '', zookeeper.CreateMode.PERSISTENT);
      const a = await create('/detect/json.info_', info(5001));
      await create('/detect/info_', 'legacy protobuf, ignored');
      const b = await create('/detect/json.info_', info(5002));
      await waitFor(() => detector.candidates()[0] === 'http://127.0.0.1:5001', 10000, 'leader 5001');
      await remove(a);
      await waitFor(() => detector.candidates()[0] === 'http://127.0.0.1:5002', 10000, 'leader 5002');
      await remove(b);
      await waitFor(() => detector.candidates().length === 0, 10000, 'no leader');
      expect(seen).to.deep.equal(['http://127.0.0.1:5001', 'http://127.0.0.1:5002', null]);
    } finally {
      await detector.stop();
    }
  });

  describe('SchedulerClient with zk://', () => {
    let cluster: TestMesosCluster;
    let client: SchedulerClient | undefined;

    afterEach(async () => {
      await client?.stop();
      client = undefined;
      await cluster?.stop();
    });

    it('subscribes to the leader registered in ZooKeeper and moves when leadership changes there', async () => {
      cluster = fastCluster({ masters: 2, zookeeper: { connectString: (zk as ZooKeeperServer).connectString, path: '/mesos-a' } });
      await cluster.start();
      client = fastClient(cluster.zkSpec);
      const first = nextEvent<[{ master: string; frameworkId: string }]>(client, 'subscribed', 10000);
      client.start();
      const [one] = await first;
      expect(one.master).to.equal(cluster.masters[0].url);
      // Only ZooKeeper says so: the old master keeps the stream open.
      const second = nextEvent<[{ master: string; frameworkId: string }]>(client, 'subscribed', 10000);
      await cluster.failover(1, { keepConnections: true });
      const [two] = await second;
      expect(two.master).to.equal(cluster.masters[1].url);
      expect(two.frameworkId).to.equal(one.frameworkId);
      expect(client.state.master).to.equal(cluster.masters[1].url);
    });

    it('waits while ZooKeeper names no leader, then subscribes', async () => {
      cluster = fastCluster({ masters: 1 });
      await cluster.start();
      const detector = createMasterDetector(`zk://${(zk as ZooKeeperServer).connectString}/mesos-b`);
      client = fastClient(detector);
      detector.start();
      const subscribed = nextEvent<[{ master: string }]>(client, 'subscribed', 10000);
      client.start();
      await waitFor(() => client?.state.status === 'backoff', 5000, 'backoff');
      expect(client.state.lastError).to.match(/no leading master/);
      await create('/mesos-b/json.info_', cluster.masters[0].infoJson());
      const [s] = await subscribed;
      expect(s.master).to.equal(cluster.masters[0].url);
      await detector.stop();
    });
  });
});
