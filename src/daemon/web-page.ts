// The HTML page at `/` of the daemon's HTTP server, which Mesos's web UI links as the framework's
// webui_url: the panel's current picture of each page, the certified digits with the uncertain
// tail, terms/s and the per-agent table. Everything is in the one response (inline style and
// script, allowed by hash in the Content-Security-Policy), since the Pi may have no internet. The
// script refreshes the page without reloading it: it fetches /view.json and swaps the images.
import { createHash } from 'crypto';
import { DisplayModel } from '../display/model';
import { formatCount, formatCpus, formatDuration, formatMem, shortHost } from '../display/format';
import { rasterize, rasterToPng } from '../display/raster';
import { renderPage } from '../display/screens';
import { PageName, PanelSize, PAGE_NAMES } from '../display/spec';

/** Which panel pictures the page shows: the configured panel's size and pages. */
export interface WebPanel {
  size: PanelSize;
  pages: PageName[];
}

export const DEFAULT_WEB_PANEL: WebPanel = { size: '128x64', pages: [...PAGE_NAMES] };

/** What the page shows, every figure already formatted: the body of /view.json. */
export interface WebView {
  /** Changes whenever anything shown changes; the image URLs carry it, so browsers cache them. */
  version: string;
  size: PanelSize;
  pages: PageName[];
  /** The daemon's one-line status (as in systemctl status), or null. */
  status: string | null;
  certified: string;
  uncertain: string;
  /** Decimals after the point that are certain. */
  decimals: number;
  termsDone: string;
  termsPerSecond: string;
  /** "4m12s", or null when unknown. */
  nextDigitIn: string | null;
  cpus: string;
  mem: string;
  framework: string;
  agents: { host: string; online: boolean; cpus: string; mem: string }[];
}

/** Formats a model for the page. Pure: the same model gives the same view (and version). */
export function webView(model: DisplayModel, panel: WebPanel, status: string | null): WebView {
  const k = model.cluster;
  const p = model.pi;
  const fw = model.framework;
  const dot = p.certified.indexOf('.');
  const view: Omit<WebView, 'version'> = {
    size: panel.size,
    pages: panel.pages,
    status,
    certified: p.certified,
    uncertain: p.uncertain,
    decimals: dot < 0 ? 0 : p.certified.length - dot - 1,
    termsDone: formatCount(p.termsDone),
    termsPerSecond: formatCount(p.termsPerSecond),
    nextDigitIn: p.nextDigitEtaSeconds === null ? null : formatDuration(p.nextDigitEtaSeconds),
    cpus: `${formatCpus(k.cpusUsedByUs)} used by pi-mesos, ${formatCpus(k.cpusUsedByOthers)} by others, of ${formatCpus(k.cpusTotal)}`,
    mem: `${formatMem(k.memUsedByUsMb)} used by pi-mesos, ${formatMem(k.memUsedByOthersMb)} by others, of ${formatMem(k.memTotalMb)}`,
    framework: fw.mode === 'local' ? `local mode, ${fw.tasksRunning} task(s) running`
      : `${fw.subscribed ? `subscribed to ${fw.master ?? '?'}` : 'not subscribed'}, ${fw.tasksRunning} task(s) running, ${fw.tasksLost} lost${fw.idleReason ? `; idle: ${fw.idleReason}` : ''}`,
    agents: k.agents.map((a) => ({
      host: shortHost(a.hostname),
      online: a.online,
      cpus: `${formatCpus(a.cpusUsedByUs)}+${formatCpus(a.cpusUsedByOthers)}/${formatCpus(a.cpusTotal)}`,
      mem: `${formatMem(a.memUsedByUsMb)}+${formatMem(a.memUsedByOthersMb)}/${formatMem(a.memTotalMb)}`,
    })),
  };
  // The pictures depend on the model and the panel, not on the status line.
  const version = createHash('sha256').update(JSON.stringify([model, panel])).digest('hex').slice(0, 12);
  return { version, ...view };
}

/** PNG pixels per panel pixel: a 128x64 picture is 384 px wide, a phone screen's width. */
const SCALE = 3;

/** The png driver's picture of one page at the panel's size (what the glass shows, no burn-in shift). */
export function panelPng(model: DisplayModel, page: PageName, size: PanelSize): Buffer {
  return rasterToPng(rasterize(renderPage(page, model, size)), SCALE);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --dim: #888; }
body { font: 16px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 0.75rem; max-width: 52rem; }
h1 { font-size: 1.25rem; margin: 0 0 0.5rem; }
#status { color: var(--dim); font-size: 0.85rem; margin: 0 0 0.75rem; overflow-wrap: anywhere; }
#digits { font: 600 1.6rem/1.3 ui-monospace, monospace; overflow-wrap: anywhere; margin: 0.25rem 0; }
#unc { color: var(--dim); font-weight: 400; text-decoration: underline dotted; }
.figures { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.75rem; margin: 0.5rem 0; }
.figures dt { color: var(--dim); }
.figures dd { margin: 0; }
#panels { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 0.75rem 0; }
figure { margin: 0; flex: 1 1 16rem; max-width: 100%; }
figure img { width: 100%; height: auto; image-rendering: pixelated; display: block; background: #000; }
figcaption { color: var(--dim); font-size: 0.85rem; }
.table { overflow-x: auto; }
table { border-collapse: collapse; min-width: 100%; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--dim); font-size: 0.85rem; }
th, td { text-align: left; padding: 0.2rem 0.5rem 0.2rem 0; white-space: nowrap; }
th { color: var(--dim); font-weight: 400; }
.offline { color: #c33; font-weight: 600; }
#conn { color: #c33; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var shown = null;
  var el = function (id) { return document.getElementById(id); };
  var put = function (id, s) { var e = el(id); if (e.textContent !== s) e.textContent = s; };
  function swap(img, url) {
    // Load first, then show: the old picture stays until the new one is ready.
    var next = new Image();
    next.onload = function () { img.src = url; };
    next.src = url;
  }
  function agents(v) {
    var body = document.createElement('tbody');
    body.id = 'agents';
    v.agents.forEach(function (a) {
      var tr = document.createElement('tr');
      [a.host, a.online ? a.cpus : 'OFFLINE', a.online ? a.mem : ''].forEach(function (s, i) {
        var td = document.createElement('td');
        td.textContent = s;
        if (i === 1 && !a.online) td.className = 'offline';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    el('agents').replaceWith(body);
  }
  function render(v) {
    put('status', v.status || '');
    put('cert', v.certified);
    put('unc', v.uncertain);
    put('decimals', v.decimals + ' certified decimals');
    put('tps', v.termsPerSecond);
    put('done', v.termsDone);
    put('next', v.nextDigitIn === null ? 'unknown' : 'in ' + v.nextDigitIn);
    put('cpus', v.cpus);
    put('mem', v.mem);
    put('fw', v.framework);
    if (!shown || JSON.stringify(shown.agents) !== JSON.stringify(v.agents)) agents(v);
    v.pages.forEach(function (p) {
      if (el('panel-' + p)) return;
      var fig = document.createElement('figure');
      var img = document.createElement('img');
      var cap = document.createElement('figcaption');
      img.id = 'panel-' + p;
      img.alt = 'the ' + p + ' page as the ' + v.size + ' panel shows it';
      cap.textContent = p;
      fig.appendChild(img);
      fig.appendChild(cap);
      el('panels').appendChild(fig);
    });
    if (!shown || shown.version !== v.version) {
      v.pages.forEach(function (p) { swap(el('panel-' + p), 'panel/' + p + '.png?v=' + v.version); });
    }
    shown = v;
    document.body.setAttribute('data-version', v.version);
  }
  function tick() {
    fetch('view.json', { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (v) { put('conn', ''); render(v); })
      .catch(function (e) { put('conn', 'no answer from the daemon (' + e.message + '); retrying'); })
      .then(function () { setTimeout(tick, 2000); });
  }
  tick();
})();
`;

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/**
 * The page's Content-Security-Policy: nothing from elsewhere, its own inline style and script only
 * (by hash), images and fetches from this server.
 */
export const WEB_PAGE_CSP = [
  "default-src 'none'", `style-src ${sha256(STYLE)}`, `script-src ${sha256(SCRIPT)}`, "img-src 'self' data:",
  "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'self'",
].join('; ');

/**
 * The whole page, filled in with the current view (so it reads right before, or without, the
 * script), or a "starting" page when the daemon has no model yet. The HTML has no external
 * reference: the favicon is an empty data: URL so browsers ask for no /favicon.ico.
 */
export function webPageHtml(view: WebView | null, frameworkName = 'pi-mesos'): string {
  const v = view;
  const panels = (v?.pages ?? []).map((p) =>
    `<figure><img id="panel-${p}" src="panel/${p}.png?v=${esc(v!.version)}" alt="the ${p} page as the ${esc(v!.size)} panel shows it"><figcaption>${p}</figcaption></figure>`).join('');
  const rows = (v?.agents ?? []).map((a) =>
    `<tr><td>${esc(a.host)}</td><td${a.online ? '' : ' class="offline"'}>${a.online ? esc(a.cpus) : 'OFFLINE'}</td><td>${a.online ? esc(a.mem) : ''}</td></tr>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(frameworkName)}: π</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body${v ? ` data-version="${esc(v.version)}"` : ''}>
<h1>${esc(frameworkName)}</h1>
<p id="status">${esc(v?.status ?? (v ? '' : 'starting'))}</p>
<p id="conn"></p>
<p id="digits"><span id="cert">${esc(v?.certified ?? '3')}</span><span id="unc" title="not yet certain">${esc(v?.uncertain ?? '')}</span></p>
<dl class="figures">
<dt>certain</dt><dd id="decimals">${v ? `${v.decimals} certified decimals` : ''}</dd>
<dt>terms/s</dt><dd id="tps">${esc(v?.termsPerSecond ?? '')}</dd>
<dt>terms done</dt><dd id="done">${esc(v?.termsDone ?? '')}</dd>
<dt>next digit</dt><dd id="next">${v ? (v.nextDigitIn === null ? 'unknown' : `in ${esc(v.nextDigitIn)}`) : ''}</dd>
<dt>CPUs</dt><dd id="cpus">${esc(v?.cpus ?? '')}</dd>
<dt>memory</dt><dd id="mem">${esc(v?.mem ?? '')}</dd>
<dt>framework</dt><dd id="fw">${esc(v?.framework ?? '')}</dd>
</dl>
<div id="panels">${panels}</div>
<div class="table"><table>
<caption>pi-mesos + other frameworks / total</caption>
<thead><tr><th>agent</th><th>CPUs</th><th>memory</th></tr></thead>
<tbody id="agents">${rows}</tbody>
</table></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
