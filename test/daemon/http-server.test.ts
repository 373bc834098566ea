import { expect } from 'chai';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { MemoryLogger } from '../../src/common/logger';
import { DisplayModel } from '../../src/display/model';
import { bundleUrl, DaemonHttpServer, daemonMetricFamilies, formatMetrics, HttpServerOptions } from '../../src/daemon/http-server';

const MODEL: DisplayModel = {
  cluster: { cpusTotal: 8, cpusUsedByUs: 6, cpusUsedByOthers: 1, memTotalMb: 3800, memUsedByUsMb: 512, memUsedByOthersMb: 100, agents: [] },
  pi: { certified: '3.14159', uncertain: '26', termsDone: 1_000_000, termsComputed: 1_200_000, termsPerSecond: 250000, nextDigitEtaSeconds: 40 },
  framework: { mode: 'local', subscribed: true, master: null, heartbeatAgeSeconds: null, tasksRunning: 6, tasksLost: 0, idleReason: null },
};

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function request(port: number, pathname: string, method = 'GET', agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('daemon/http-server', () => {
  let dir: string;
  const servers: DaemonHttpServer[] = [];
  const log = new MemoryLogger();
  let model: DisplayModel | null = null;
  let failMetrics = false;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-http-'));
    fs.mkdirSync(path.join(dir, 'bundle'));
    fs.writeFileSync(path.join(dir, 'bundle', 'pi-mesos-executor.tar.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 255]));
    fs.writeFileSync(path.join(dir, 'bundle', '.hidden'), 'x');
    fs.writeFileSync(path.join(dir, 'secret'), 'do not serve');
  });
  afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  async function start(extra: Partial<HttpServerOptions> = {}): Promise<number> {
    const s = new DaemonHttpServer({
      listen: { host: '127.0.0.1', port: 0 },
      logger: log,
      model: () => model,
      statusExtra: () => ({ version: '0.1.0', uptimeSeconds: 12 }),
      metrics: () => {
        if (failMetrics) throw new Error('metrics source broke');
        return daemonMetricFamilies({
          offersReceived: 10, offersDeclined: 2, taskUpdatesByState: { TASK_RUNNING: 5, TASK_FINISHED: 4 },
          tasksRunning: 1, tasksLaunched: 5, termsDone: 4000, termsPerSecond: 1234.5, certifiedDigits: 5,
          displayBusErrors: 0, masterReconnects: 1, subscribed: true,
        });
      },
      executorDir: path.join(dir, 'bundle'),
      ...extra,
    });
    servers.push(s);
    const a = await s.start();
    expect(a.port).to.be.greaterThan(0);
    return a.port;
  }

  it('serves /status: 503 until there is a model, then the model with the extra fields', async () => {
    model = null;
    const port = await start();
    const early = await request(port, '/status');
    expect(early.status).to.equal(503);
    model = MODEL;
    const r = await request(port, '/status');
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('application/json');
    const body = JSON.parse(r.body.toString());
    expect(body).to.deep.equal({ version: '0.1.0', uptimeSeconds: 12, ...MODEL });
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const port = await start();
    const r = await request(port, '/metrics');
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('text/plain; version=0.0.4; charset=utf-8');
    const text = r.body.toString();
    expect(text).to.include('# TYPE pi_mesos_offers_received_total counter\npi_mesos_offers_received_total 10\n');
    expect(text).to.include('pi_mesos_task_updates_total{state="TASK_FINISHED"} 4\npi_mesos_task_updates_total{state="TASK_RUNNING"} 5\n');
    expect(text).to.include('pi_mesos_terms_per_second 1234.5\n');
    expect(text).to.include('pi_mesos_certified_digits 5\n');
    expect(text).to.include('pi_mesos_display_bus_errors_total 0\n');
    expect(text).to.include('pi_mesos_master_reconnects_total 1\n');
    for (const line of text.trimEnd().split('\n')) {
      expect(line).to.match(/^(# (HELP|TYPE) [a-z_:]+ .+|[a-z_:]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf))$/, line);
    }
  });

  it('escapes help and label values, and refuses invalid names', () => {
    const text = formatMetrics([{ name: 'x_total', type: 'counter', help: 'a\\b\nc', samples: [{ labels: { host: 'pi"1\\\n' }, value: Infinity }] }]);
    expect(text).to.equal('# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\nx_total{host="pi\\"1\\\\\\n"} +Inf\n');
    expect(() => formatMetrics([{ name: 'bad-name', type: 'gauge', help: '', samples: [] }])).to.throw(/invalid metric name/);
  });

  it('answers 500 when a callback throws, logs it, and keeps serving', async () => {
    const port = await start();
    failMetrics = true;
    try {
      expect((await request(port, '/metrics')).status).to.equal(500);
    } finally {
      failMetrics = false;
    }
    expect(log.has('error', /metrics failed: metrics source broke/)).to.equal(true);
    expect((await request(port, '/metrics')).status).to.equal(200);
  });

  it('serves the executor bundle byte for byte, with HEAD, and nothing outside its directory', async () => {
    const port = await start();
    const r = await request(port, '/executor/pi-mesos-executor.tar.gz');
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('application/gzip');
    expect(r.headers['content-length']).to.equal('8');
    expect(r.body.equals(fs.readFileSync(path.join(dir, 'bundle', 'pi-mesos-executor.tar.gz')))).to.equal(true);
    const h = await request(port, '/executor/pi-mesos-executor.tar.gz', 'HEAD');
    expect([h.status, h.headers['content-length'], h.body.length]).to.deep.equal([200, '8', 0]);
    for (const p of ['/executor/..%2Fsecret', '/executor/../secret', '/executor/.hidden', '/executor/missing.tar.gz', '/executor/', '/nope']) {
      expect((await request(port, p)).status, p).to.equal(404);
    }
    expect((await request(port, '/executor/%E0%A4%A')).status).to.equal(400);
    expect((await request(port, '/status', 'POST')).status).to.equal(405);
  });

  it('serves no bundle when no executor directory is configured', async () => {
    const port = await start({ executorDir: null });
    expect((await request(port, '/executor/pi-mesos-executor.tar.gz')).status).to.equal(404);
  });

  it('builds the fetcher URL, bracketing IPv6', () => {
    expect(bundleUrl('master-pi', 9105, 'pi-mesos-executor.tar.gz')).to.equal('http://master-pi:9105/executor/pi-mesos-executor.tar.gz');
    expect(bundleUrl('fd00::1', 9105, 'b.tgz')).to.equal('http://[fd00::1]:9105/executor/b.tgz');
  });

  it('reports an address in use clearly', async () => {
    const port = await start();
    const second = new DaemonHttpServer({ listen: { host: '127.0.0.1', port }, logger: log, model: () => null, metrics: () => [] });
    let err: Error | undefined;
    await second.start().catch((e: Error) => { err = e; });
    expect(err?.message).to.equal(`HTTP server cannot listen on 127.0.0.1:${port}: the address is in use`);
  });

  it('closes promptly even with a keep-alive connection open', async () => {
    const port = await start();
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await request(port, '/status', 'GET', agent)).status).to.be.oneOf([200, 503]);
      const s = servers.pop()!;
      await s.close();
      let refused = false;
      await request(port, '/status').catch(() => { refused = true; });
      expect(refused).to.equal(true);
    } finally {
      agent.destroy();
    }
  });
});
