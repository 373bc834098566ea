// The daemon's small HTTP server: / (an HTML page of the panel's pictures and figures, refreshing
// itself from /view.json and /panel/<page>.png; see web-page.ts), /status (what the display shows,
// as JSON), /metrics (Prometheus text exposition format 0.0.4) and /executor/<file> (the executor
// bundle the Mesos fetcher downloads on each agent). It binds 127.0.0.1 by default: the status page and metrics say
// nothing secret, but nothing here needs to face the network unless the agents fetch from it.
import { compareCodePoints } from '../common/compare';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { Logger } from '../common/logger';
import { DisplayModel } from '../display/model';
import { PageName } from '../display/spec';
import { formatListen, ListenAddress } from './config';
import { DEFAULT_WEB_PANEL, panelPng, WEB_PAGE_CSP, webPageHtml, WebPanel, webView } from './web-page';

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: MetricSample[];
}

/** What the daemon counts; daemonMetricFamilies turns it into the /metrics families. */
export interface DaemonMetrics {
  offersReceived: number;
  offersDeclined: number;
  /** Status updates received, by Mesos task state (e.g. TASK_FINISHED), since start. */
  taskUpdatesByState: Record<string, number>;
  tasksRunning: number;
  tasksLaunched: number;
  /** Ranges whose results were merged (a task of several ranges reports each). */
  rangesFinished?: number;
  termsDone: number;
  /** Terms finished in all, in order or ahead of the prefix. */
  termsComputed?: number;
  /** Worker seconds the merged ranges took. */
  computeSeconds?: number;
  termsPerSecond: number;
  certifiedDigits: number;
  displayBusErrors: number;
  masterReconnects: number;
  subscribed: boolean;
  /** pi-mesos's version, for pi_mesos_build_info (the node version is this process's). */
  version?: string;
}

export interface HttpServerOptions {
  listen: ListenAddress;
  logger: Logger;
  /** The display model for /status; null until there is one (503). */
  model: () => DisplayModel | null;
  /** Extra top-level fields for /status (version, uptime, master, ...). */
  statusExtra?: () => Record<string, unknown>;
  metrics: () => MetricFamily[];
  /** Directory whose plain files are served under /executor/; null serves nothing there. */
  executorDir?: string | null;
  /** How long close() lets running downloads finish before cutting them (default 2000 ms). */
  closeGraceMs?: number;
  /** The panel whose pictures the page at / shows (default 128x64, every page). */
  panel?: () => WebPanel;
  /** The framework's name, for the page's title. */
  frameworkName?: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const BUNDLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Prometheus text exposition format, version 0.0.4. */
export function formatMetrics(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      for (const [k] of labels) {
        if (!LABEL_NAME.test(k)) throw new Error(`invalid label name ${JSON.stringify(k)} on ${f.name}`);
      }
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      out.push(`${f.name}${l} ${formatValue(s.value)}`);
    }
  }
  return out.join('\n') + '\n';
}

export function daemonMetricFamilies(m: DaemonMetrics): MetricFamily[] {
  const one = (name: string, type: MetricFamily['type'], help: string, value: number): MetricFamily =>
    ({ name, type, help, samples: [{ value }] });
  return [
    one('pi_mesos_offers_received_total', 'counter', 'Resource offers received from the Mesos master.', m.offersReceived),
    one('pi_mesos_offers_declined_total', 'counter', 'Resource offers declined.', m.offersDeclined),
    one('pi_mesos_tasks_launched_total', 'counter', 'Tasks launched.', m.tasksLaunched),
    {
      name: 'pi_mesos_task_updates_total', type: 'counter', help: 'Task status updates received, by task state.',
      samples: Object.entries(m.taskUpdatesByState).sort(([a], [b]) => compareCodePoints(a, b))
        .map(([state, value]) => ({ labels: { state }, value })),
    },
    one('pi_mesos_tasks_running', 'gauge', 'Tasks running now.', m.tasksRunning),
    one('pi_mesos_ranges_finished_total', 'counter', 'Ranges of terms whose exact results were merged.', m.rangesFinished ?? 0),
    one('pi_mesos_compute_seconds_total', 'counter', 'Worker seconds spent on the ranges merged so far, as the executors measured them.', m.computeSeconds ?? 0),
    one('pi_mesos_terms_computed_total', 'counter', 'Terms whose ranges are finished, in the prefix or ahead of it.', m.termsComputed ?? 0),
    one('pi_mesos_terms_done', 'gauge', 'Terms in the contiguous finished prefix [0, N).', m.termsDone),
    one('pi_mesos_terms_per_second', 'gauge', 'Terms computed per second, recent average.', m.termsPerSecond),
    one('pi_mesos_certified_digits', 'gauge', 'Decimal digits of pi certified correct (after the point).', m.certifiedDigits),
    one('pi_mesos_display_bus_errors_total', 'counter', 'I2C errors of the display.', m.displayBusErrors),
    one('pi_mesos_master_reconnects_total', 'counter', 'Re-subscriptions to the Mesos master after a lost stream.', m.masterReconnects),
    one('pi_mesos_subscribed', 'gauge', '1 while subscribed to a Mesos master (or running in local mode).', m.subscribed ? 1 : 0),
    { name: 'pi_mesos_build_info', type: 'gauge', help: 'Always 1; the labels name the running pi-mesos and Node.js versions.',
      samples: [{ labels: { version: m.version ?? 'unknown', node: process.version }, value: 1 }] },
  ];
}

function contentTypeFor(file: string): string {
  if (/\.(tar\.gz|tgz)$/.test(file)) return 'application/gzip';
  if (/\.tar$/.test(file)) return 'application/x-tar';
  return 'application/octet-stream';
}

export class DaemonHttpServer {
  private readonly server: http.Server;
  private readonly opts: HttpServerOptions;
  private bound: ListenAddress | null = null;

  constructor(opts: HttpServerOptions) {
    this.opts = opts;
    this.server = http.createServer((req, res) => this.handle(req, res));
    // A stalled client must not hold a socket for ever.
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
  }

  /** Listens; resolves with the bound address (the real port when 0 was asked for). */
  start(): Promise<ListenAddress> {
    const { host, port } = this.opts.listen;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const why = err.code === 'EADDRINUSE' ? 'the address is in use'
          : err.code === 'EADDRNOTAVAIL' ? 'no interface has that address'
          : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
          : err.message;
        reject(Object.assign(new Error(`HTTP server cannot listen on ${formatListen(this.opts.listen)}: ${why}`), { code: err.code }));
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        this.server.on('error', (e) => this.opts.logger.error('HTTP server error', e));
        const a = this.server.address() as AddressInfo;
        this.bound = { host: a.address, port: a.port };
        this.opts.logger.info(`HTTP endpoints on http://${formatListen(this.bound)}/ (the page at /, /status, /metrics${this.opts.executorDir ? ', /executor/' : ''})`);
        resolve(this.bound);
      });
    });
  }

  get address(): ListenAddress | null { return this.bound; }

  /** Stops accepting, lets running requests finish for a grace period, then cuts the rest. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      const cut = setTimeout(() => this.server.closeAllConnections(), this.opts.closeGraceMs ?? 2000);
      this.server.close(() => { clearTimeout(cut); resolve(); });
      this.server.closeIdleConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.opts.logger.debug(`HTTP ${req.method} ${url.pathname} from ${req.socket.remoteAddress}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    try {
      if (url.pathname === '/status') {
        const model = this.opts.model();
        if (!model) {
          this.send(req, res, 503, 'application/json', JSON.stringify({ error: 'starting' }) + '\n');
          return;
        }
        const body = { ...(this.opts.statusExtra?.() ?? {}), cluster: model.cluster, pi: model.pi, framework: model.framework };
        this.send(req, res, 200, 'application/json', JSON.stringify(body, null, 2) + '\n');
      } else if (url.pathname === '/metrics') {
        this.send(req, res, 200, 'text/plain; version=0.0.4; charset=utf-8', formatMetrics(this.opts.metrics()));
      } else if (url.pathname.startsWith('/executor/')) {
        let name: string;
        try {
          name = decodeURIComponent(url.pathname.slice('/executor/'.length));
        } catch {
          this.send(req, res, 400, 'text/plain; charset=utf-8', 'bad request\n');
          return;
        }
        this.serveBundle(req, res, name);
      } else if (url.pathname === '/') {
        const model = this.opts.model();
        const view = model ? webView(model, this.webPanel(), this.statusLine()) : null;
        this.send(req, res, 200, 'text/html; charset=utf-8', webPageHtml(view, this.opts.frameworkName), {
          'Content-Security-Policy': WEB_PAGE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
        });
      } else if (url.pathname === '/view.json') {
        const model = this.opts.model();
        if (!model) {
          this.send(req, res, 503, 'application/json', JSON.stringify({ error: 'starting' }) + '\n');
          return;
        }
        this.send(req, res, 200, 'application/json', JSON.stringify(webView(model, this.webPanel(), this.statusLine())) + '\n');
      } else if (/^\/panel\/[a-z]+\.png$/.test(url.pathname)) {
        const page = url.pathname.slice('/panel/'.length, -'.png'.length) as PageName;
        const model = this.opts.model();
        const panel = this.webPanel();
        if (!panel.pages.includes(page)) {
          this.send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
        } else if (!model) {
          this.send(req, res, 503, 'text/plain; charset=utf-8', 'starting\n');
        } else {
          // The URL carries the view's version, so a browser may keep what it fetched.
          this.sendBuffer(req, res, 200, 'image/png', panelPng(model, page, panel.size),
            { 'Cache-Control': url.searchParams.has('v') ? 'private, max-age=300' : 'no-store' });
        }
      } else {
        this.send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
    } catch (e) {
      this.opts.logger.error(`HTTP ${url.pathname} failed`, e);
      if (!res.headersSent) this.send(req, res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    }
  }

  private serveBundle(req: http.IncomingMessage, res: http.ServerResponse, name: string): void {
    const dir = this.opts.executorDir;
    // One plain name inside the directory: no separators, no dot files, so no way out of it.
    if (!dir || !BUNDLE_NAME.test(name)) {
      this.send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    const file = path.join(dir, name);
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        if (err && err.code !== 'ENOENT') this.opts.logger.warn(`executor bundle ${file}: ${err.message}`);
        this.send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
        return;
      }
      res.writeHead(200, {
        'Content-Type': contentTypeFor(name),
        'Content-Length': st.size,
        'Last-Modified': st.mtime.toUTCString(),
        'Cache-Control': 'no-cache',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = fs.createReadStream(file);
      stream.on('error', (e) => {
        this.opts.logger.error(`executor bundle ${file} read failed`, e);
        res.destroy();
      });
      stream.pipe(res);
    });
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, code: number, type: string, body: string,
    headers: Record<string, string> = {}): void {
    this.sendBuffer(req, res, code, type, Buffer.from(body, 'utf8'), headers);
  }

  private sendBuffer(req: http.IncomingMessage, res: http.ServerResponse, code: number, type: string, buf: Buffer,
    headers: Record<string, string> = {}): void {
    res.writeHead(code, { 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : buf);
  }

  private webPanel(): WebPanel {
    return this.opts.panel?.() ?? DEFAULT_WEB_PANEL;
  }

  private statusLine(): string | null {
    const s = this.opts.statusExtra?.().status;
    return typeof s === 'string' ? s : null;
  }
}

/** The URL the agents' fetcher uses for a file in the executor directory. */
export function bundleUrl(host: string, port: number, file: string): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/executor/${encodeURIComponent(file)}`;
}
