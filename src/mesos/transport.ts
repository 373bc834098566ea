// The HTTP plumbing shared by the clients: one keep-alive agent for ordinary calls and a fresh
// connection for every event stream (Mesos requires calls on a different connection from the
// subscription), basic or bearer authorization, and https with a CA file.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { basicAuthorization, Credentials } from './credentials';

export interface TlsOptions {
  /** PEM file of the CA(s) that signed the master's certificate. */
  caFile?: string;
  /** PEM text of the CA(s), instead of caFile. */
  ca?: string | Buffer;
}

export interface TransportOptions {
  credentials?: Credentials;
  /** Sent as "Authorization: Bearer <token>" (executors, MESOS_EXECUTOR_AUTHENTICATION_TOKEN). */
  bearerToken?: string;
  tls?: TlsOptions;
  /** Per-request timeout for ordinary calls (default 30 s). */
  requestTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface StreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The open response (status 200); for other statuses it is already consumed into `body`. */
  response: http.IncomingMessage;
  body: Buffer;
  /** Ends the stream and its connection. */
  close(): void;
}

const MAX_ERROR_BODY = 64 * 1024;

export class HttpTransport {
  readonly credentials: Credentials | undefined;
  private readonly bearerToken: string | undefined;
  private readonly ca: string | Buffer | undefined;
  private readonly requestTimeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: TransportOptions = {}) {
    this.credentials = options.credentials;
    this.bearerToken = options.bearerToken;
    this.ca = options.tls?.ca ?? (options.tls?.caFile ? fs.readFileSync(options.tls.caFile) : undefined);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: this.ca });
  }

  private baseHeaders(extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.credentials) headers.Authorization = basicAuthorization(this.credentials);
    else if (this.bearerToken) headers.Authorization = `Bearer ${this.bearerToken}`;
    return headers;
  }

  /** An ordinary request on the shared keep-alive connection(s); resolves with the whole body. */
  async request(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<HttpResponse> {
    try {
      return await this.requestOnce(url, method, headers, body);
    } catch (err) {
      // A kept-alive connection the server had already closed: the request never reached it,
      // so sending it once more on a fresh connection cannot duplicate it (Node's advice).
      if ((err as { staleSocket?: boolean }).staleSocket) return this.requestOnce(url, method, headers, body);
      throw err;
    }
  }

  private requestOnce(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const isHttps = target.protocol === 'https:';
      const allHeaders = this.baseHeaders(headers);
      if (body) allHeaders['Content-Length'] = String(body.length);
      const req = (isHttps ? https : http).request(target, {
        method,
        headers: allHeaders,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
      }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      req.setTimeout(this.requestTimeoutMs, () => {
        req.destroy(new Error(`no answer from ${target.host} within ${this.requestTimeoutMs} ms`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET') Object.assign(err, { staleSocket: true });
        reject(err);
      });
      req.end(body);
    });
  }

  /**
   * Opens a streaming POST on a connection of its own. Resolves when the response headers
   * arrive; `timeoutMs` bounds the wait for them.
   */
  openStream(url: string, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<StreamResponse> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const isHttps = target.protocol === 'https:';
      const allHeaders = this.baseHeaders({ ...headers, 'Content-Length': String(body.length) });
      const options: https.RequestOptions = { method: 'POST', headers: allHeaders, agent: false };
      if (isHttps) options.ca = this.ca;
      let settled = false;
      const req = (isHttps ? https : http).request(target, options, (res) => {
        clearTimeout(timer);
        const close = (): void => { req.destroy(); };
        if (res.statusCode === 200) {
          settled = true;
          resolve({ status: 200, headers: res.headers, response: res, body: Buffer.alloc(0), close });
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) parts.push(c);
          size += c.length;
        });
        const finish = (): void => {
          if (settled) return;
          settled = true;
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, response: res, body: Buffer.concat(parts), close });
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer from ${target.host} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('socket', (socket) => socket.setKeepAlive(true, 10_000));
      req.on('error', (err) => {
        clearTimeout(timer);
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/**
 * The base URL ("scheme://host:port") a Location header names, resolved against the URL that
 * was redirected. Mesos sends "//host:port/api/v1/scheduler" (scheme-relative); its docs also
 * show a bare "host:port".
 */
export function redirectTarget(location: string, from: string): string {
  const base = new URL(from);
  let loc = location.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(loc) && !loc.startsWith('//') && !loc.startsWith('/')) {
    loc = `//${loc}`;
  }
  const target = new URL(loc, base);
  return `${target.protocol}//${target.host}`;
}
