// The page at / of the daemon's HTTP server: what it serves (plain HTTP), and what a real browser
// makes of it (headless Chromium from Debian, over the DevTools protocol): no console errors, the
// current digits, and an update in place when they change.
import { expect } from 'chai';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { PNG } from 'pngjs';
import { silentLogger } from '../../src/common/logger';
import { DaemonHttpServer } from '../../src/daemon/http-server';
import { webView } from '../../src/daemon/web-page';
import { DisplayModel } from '../../src/display/model';
import { Chromium, chromiumPath } from './chromium';
import { clusterModel } from './fixtures';

function get(port: number, p: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

async function serve(model: () => DisplayModel | null, size: '128x64' | '20x4' = '128x64'): Promise<{ server: DaemonHttpServer; port: number }> {
  const server = new DaemonHttpServer({
    listen: { host: '127.0.0.1', port: 0 }, logger: silentLogger, model, metrics: () => [],
    statusExtra: () => {
      const m = model();
      return { status: m ? `π ${m.pi.certified} (${m.pi.certified.length - 2} certified), cpus 9.5/12, subscribed to 10.0.0.10:5050` : 'starting' };
    },
    panel: () => ({ size, pages: ['cluster', 'pi', 'framework'] }),
  });
  const { port } = await server.start();
  return { server, port };
}

describe('the web page at /', () => {
  let server: DaemonHttpServer | null = null;
  afterEach(async () => { await server?.close(); server = null; });

  it('is HTML with the digits, the figures and every page picture, and nothing from elsewhere', async () => {
    const s = await serve(() => clusterModel());
    server = s.server;
    const r = await get(s.port, '/');
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('text/html; charset=utf-8');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).to.include("default-src 'none'").and.include("connect-src 'self'");
    const html = r.body.toString();
    expect(html).to.include('<span id="cert">3.1415926</span><span id="unc" title="not yet certain">535</span>');
    expect(html).to.include('48.2M').and.include('pi-node3').and.include('OFFLINE');
    for (const p of ['cluster', 'pi', 'framework']) expect(html).to.include(`id="panel-${p}" src="panel/${p}.png?v=`);
    expect(html).to.include('name="viewport"');
    // No external asset: no scheme-qualified or protocol-relative URL in any attribute.
    expect(html).to.not.match(/(src|href)="(https?:)?\/\//);
  });

  it('escapes what comes from the cluster (agent host names)', async () => {
    const m = clusterModel();
    m.cluster.agents[0].hostname = '<img src=x onerror=alert(1)>';
    const s = await serve(() => m);
    server = s.server;
    const html = (await get(s.port, '/')).body.toString();
    expect(html).to.not.include('<img src=x');
    expect(html).to.include('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('serves /view.json and the pictures the png driver renders; 503 before the first model', async () => {
    let model: DisplayModel | null = null;
    const s = await serve(() => model, '20x4');
    server = s.server;
    expect((await get(s.port, '/view.json')).status).to.equal(503);
    expect((await get(s.port, '/panel/pi.png')).status).to.equal(503);
    expect((await get(s.port, '/')).body.toString()).to.include('starting');
    model = clusterModel();
    const v = JSON.parse((await get(s.port, '/view.json')).body.toString());
    expect(v).to.deep.include({ certified: '3.1415926', uncertain: '535', termsPerSecond: '48.2M', size: '20x4', decimals: 7 });
    expect(v.agents).to.have.length(4);
    const png = await get(s.port, `/panel/cluster.png?v=${v.version}`);
    expect(png.headers['content-type']).to.equal('image/png');
    expect(png.headers['cache-control']).to.equal('private, max-age=300');
    const img = PNG.sync.read(png.body);
    expect([img.width, img.height]).to.deep.equal([(20 * 6 + 3) * 3, (4 * 9 + 3) * 3]);
    expect((await get(s.port, '/panel/nosuch.png')).status).to.equal(404);
    expect((await get(s.port, '/panel/../status')).status).to.not.equal(500);
  });

  it('changes its version when what it shows changes, not otherwise', () => {
    const panel = { size: '128x64' as const, pages: ['pi' as const] };
    const a = webView(clusterModel(), panel, 'x');
    expect(webView(clusterModel(), panel, 'y').version).to.equal(a.version);
    const m = clusterModel();
    m.pi.certified += '5';
    expect(webView(m, panel, 'x').version).to.not.equal(a.version);
  });
});

const bin = chromiumPath();

describe('the web page in a real browser', function () {
  this.timeout(90_000);

  it(`loads without console errors, shows the digits, updates in place (headless Chromium${bin ? '' : '; skipped: no chromium binary, apt-get install chromium'})`, async function () {
    if (!bin) this.skip();
    let model = clusterModel();
    const s = await serve(() => model);
    const browser = await Chromium.launch(bin!);
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      browser.on((e) => {
        if (e.sessionId !== page) return;
        if (e.method === 'Runtime.consoleAPICalled' && ['error', 'assert', 'warning'].includes(String(e.params.type))) problems.push(`console.${e.params.type}: ${JSON.stringify(e.params.args)}`);
        if (e.method === 'Runtime.exceptionThrown') problems.push(`exception: ${JSON.stringify(e.params.exceptionDetails)}`);
        if (e.method === 'Log.entryAdded') {
          const entry = e.params.entry as { level: string; text: string; url?: string };
          if (entry.level === 'error' || entry.level === 'warning') problems.push(`${entry.level}: ${entry.text} ${entry.url ?? ''}`);
        }
      });
      for (const d of ['Runtime.enable', 'Log.enable', 'Page.enable']) await browser.send(d, {}, page);
      // A phone: 412 CSS pixels wide.
      await browser.send('Emulation.setDeviceMetricsOverride', { width: 412, height: 915, deviceScaleFactor: 1, mobile: true }, page);
      const loaded = browser.waitEvent('Page.loadEventFired', page);
      await browser.send('Page.navigate', { url: `http://127.0.0.1:${s.port}/` }, page);
      await loaded;
      const first = await browser.evaluate<{ cert: string; unc: string; tps: string; images: number[]; overflow: boolean; rows: number }>(page, `
        Promise.all([...document.images].map((i) => i.complete ? i.naturalWidth : new Promise((r) => { i.onload = () => r(i.naturalWidth); i.onerror = () => r(-1); })))
          .then((images) => ({
            cert: document.getElementById('cert').textContent, unc: document.getElementById('unc').textContent,
            tps: document.getElementById('tps').textContent, images,
            overflow: document.documentElement.scrollWidth > window.innerWidth,
            rows: document.querySelectorAll('#agents tr').length,
          }))`);
      expect(first).to.deep.equal({ cert: '3.1415926', unc: '535', tps: '48.2M', images: [384, 384, 384], overflow: false, rows: 4 });
      // The script has fetched the view once it stamps the body; mark the window so a full reload
      // would show, then change the model and wait (by events in the page) for the new digits.
      await browser.evaluate(page, `new Promise((r) => { const ok = () => document.body.dataset.version && document.getElementById('conn').textContent === ''; if (ok()) r(1); else new MutationObserver((_, o) => { if (ok()) { o.disconnect(); r(1); } }).observe(document.body, { attributes: true, subtree: true, childList: true, characterData: true }); })`);
      await browser.evaluate(page, 'window.__notReloaded = true');
      const before = await browser.evaluate<string>(page, `document.getElementById('panel-pi').src`);
      model = clusterModel();
      model.pi.certified = '3.14159265';
      model.pi.uncertain = '35';
      model.pi.termsPerSecond = 51_300_000;
      model.cluster.agents[2].online = false;
      const after = await browser.evaluate<{ cert: string; unc: string; tps: string; src: string; width: number; kept: boolean; offline: number }>(page, `
        new Promise((resolve) => {
          const img = document.getElementById('panel-pi');
          const done = () => document.getElementById('cert').textContent === '3.14159265' && img.src !== ${JSON.stringify(before)} && img.complete;
          const report = () => resolve({
            cert: document.getElementById('cert').textContent, unc: document.getElementById('unc').textContent,
            tps: document.getElementById('tps').textContent, src: img.src, width: img.naturalWidth,
            kept: window.__notReloaded === true, offline: document.querySelectorAll('#agents .offline').length,
          });
          if (done()) return report();
          const o = new MutationObserver(() => { if (done()) { o.disconnect(); report(); } });
          o.observe(document.body, { attributes: true, subtree: true, childList: true, characterData: true });
          img.addEventListener('load', () => { if (done()) { o.disconnect(); report(); } });
        })`);
      expect(after).to.deep.include({ cert: '3.14159265', unc: '35', tps: '51.3M', width: 384, kept: true, offline: 2 });
      expect(after.src).to.match(/\/panel\/pi\.png\?v=[0-9a-f]{12}$/);
      expect(problems, 'console errors and warnings').to.deep.equal([]);
      const shot = process.env.WEB_SCREENSHOT;
      if (shot) {
        const { contentSize } = await browser.send('Page.getLayoutMetrics', {}, page) as { contentSize: { width: number; height: number } };
        const { data } = await browser.send('Page.captureScreenshot', {
          format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: 412, height: Math.ceil(contentSize.height), scale: 1 },
        }, page) as { data: string };
        fs.mkdirSync(path.dirname(shot), { recursive: true });
        fs.writeFileSync(shot, Buffer.from(data, 'base64'));
      }
    } finally {
      await browser.close();
      await s.server.close();
    }
  });
});
