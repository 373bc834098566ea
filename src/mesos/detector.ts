// Finds the leading Mesos master: from a static list (any master redirects to the leader) or from
// ZooKeeper, where every master registers an ephemeral sequential node "json.info_<seq>" holding
// its MasterInfo as JSON and the lowest sequence number leads.
import type * as Zookeeper from 'node-zookeeper-client';

/** Loaded on first use: a daemon given host:port masters never pays for the ZooKeeper client's code (~5 MB RSS). */
let zookeeperModule: typeof Zookeeper | undefined;
function zk(): typeof Zookeeper {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  zookeeperModule ??= require('node-zookeeper-client') as typeof Zookeeper;
  return zookeeperModule;
}
import { Logger, silentLogger } from '../common/logger';
import { TypedEmitter } from './typed-emitter';

export interface MasterDetectorEvents {
  /** The leading master changed: its base URL ("http://host:port"), or null when there is none. */
  leader: [url: string | null];
}

export abstract class MasterDetector extends TypedEmitter<MasterDetectorEvents> {
  /** For log lines, e.g. "masters m1:5050,m2:5050" or "zk://zk1:2181/mesos". */
  abstract readonly description: string;
  /** Base URLs to try, most likely leader first; empty while no leader is known. */
  abstract candidates(): string[];
  /** Tells the detector that a master named `url` as the leader (a 307). */
  noteLeader(_url: string): void {}
  /**
   * Why no leader can be known now, when the detector knows (e.g. "ZooKeeper at zk1:2181 does
   * not answer"); the detector has logged it itself. Undefined otherwise.
   */
  get problem(): string | undefined {
    return undefined;
  }
  start(): void {}
  async stop(): Promise<void> {}
}

export type MasterSpec =
  | { kind: 'static'; urls: string[] }
  | { kind: 'zookeeper'; servers: string; path: string; auth?: string };

const DEFAULT_MASTER_PORT = 5050;

/** Parses "host:port[,host:port…]", "http(s)://host:port,…" or "zk://[user:pass@]h:p[,h:p…]/path". */
export function parseMasterSpec(spec: string, scheme: 'http' | 'https' = 'http'): MasterSpec {
  const text = spec.trim();
  if (!text) throw new Error('the master address is empty');
  if (text.startsWith('zk://')) {
    const rest = text.slice('zk://'.length);
    const slash = rest.indexOf('/');
    if (slash < 0 || slash === rest.length - 1) {
      throw new Error(`the ZooKeeper address '${spec}' needs a path, e.g. zk://host:2181/mesos`);
    }
    let hosts = rest.slice(0, slash);
    const path = rest.slice(slash).replace(/\/+$/, '');
    let auth: string | undefined;
    const at = hosts.lastIndexOf('@');
    if (at >= 0) {
      auth = hosts.slice(0, at);
      hosts = hosts.slice(at + 1);
    }
    if (!hosts || hosts.split(',').some((h) => !h)) throw new Error(`no ZooKeeper servers in '${spec}'`);
    return { kind: 'zookeeper', servers: hosts, path, auth };
  }
  const urls = text.split(',').map((part) => {
    const p = part.trim();
    if (!p) throw new Error(`empty master address in '${spec}'`);
    const withScheme = /^https?:\/\//.test(p) ? p : `${scheme}://${p}`;
    let u: URL;
    try {
      u = new URL(withScheme);
    } catch {
      throw new Error(`'${p}' is not a master address (expected host:port)`);
    }
    if (!u.hostname) throw new Error(`'${p}' is not a master address (expected host:port)`);
    const port = u.port || String(DEFAULT_MASTER_PORT);
    return `${u.protocol}//${u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname}:${port}`;
  });
  return { kind: 'static', urls };
}

export class StaticMasterDetector extends MasterDetector {
  readonly description: string;
  private leader: string | undefined;

  constructor(readonly urls: string[]) {
    super();
    if (urls.length === 0) throw new Error('no masters given');
    this.description = `masters ${urls.join(',')}`;
  }

  candidates(): string[] {
    if (!this.leader) return [...this.urls];
    return [this.leader, ...this.urls.filter((u) => u !== this.leader)];
  }

  override noteLeader(url: string): void {
    if (url !== this.leader) {
      this.leader = url;
      this.emit('leader', url);
    }
  }
}

export interface ZooKeeperDetectorOptions {
  servers: string;
  path: string;
  /** "user:password" for ZooKeeper digest authentication. */
  auth?: string;
  scheme?: 'http' | 'https';
  /** Use MasterInfo's hostname rather than its IP address (default: IP, which needs no DNS). */
  preferHostname?: boolean;
  sessionTimeoutMs?: number;
  logger?: Logger;
  /**
   * Milliseconds without a connection before "ZooKeeper at … does not answer" is logged, and
   * between repeats of it (the logger folds repeats into one summary line). Default 10000.
   */
  unreachableWarnMs?: number;
}

/** The base URL of a master from the MasterInfo JSON Mesos writes into ZooKeeper. */
export function masterUrlFromInfoJson(json: string, scheme: 'http' | 'https' = 'http', preferHostname = false): string {
  const info = JSON.parse(json) as {
    address?: { hostname?: string; ip?: string; port?: number };
    hostname?: string;
    ip?: number;
    port?: number;
  };
  const port = info.address?.port ?? info.port;
  let ipText: string | undefined = info.address?.ip;
  if (!ipText && typeof info.ip === 'number') {
    // MasterInfo.ip is the IPv4 address in network byte order, read as a little-endian uint32.
    const ip = info.ip >>> 0;
    ipText = [ip & 0xff, (ip >>> 8) & 0xff, (ip >>> 16) & 0xff, (ip >>> 24) & 0xff].join('.');
  }
  const hostname = info.address?.hostname ?? info.hostname;
  const host = preferHostname ? hostname ?? ipText : ipText ?? hostname;
  if (!host || !port) throw new Error('MasterInfo JSON has no address');
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const INFO_NODE = /^json\.info_(\d+)$/;
const RETRY_MS = 1000;

export class ZooKeeperMasterDetector extends MasterDetector {
  readonly description: string;
  private readonly logger: Logger;
  private client: Zookeeper.Client | undefined;
  private leader: string | null = null;
  private stopped = true;
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private unreachableTimer: NodeJS.Timeout | undefined;
  private saidUnreachable = false;

  constructor(private readonly options: ZooKeeperDetectorOptions) {
    super();
    this.description = `zk://${options.servers}${options.path}`;
    this.logger = options.logger ?? silentLogger;
  }

  candidates(): string[] {
    return this.leader ? [this.leader] : [];
  }

  get currentLeader(): string | null {
    return this.leader;
  }

  override get problem(): string | undefined {
    return this.saidUnreachable ? `ZooKeeper at ${this.options.servers} does not answer` : undefined;
  }

  override start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.clearUnreachable();
    const client = this.client;
    this.client = undefined;
    client?.removeAllListeners();
    client?.close();
  }

  private connect(): void {
    const client = zk().createClient(this.options.servers, {
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      spinDelay: 200,
      retries: 0,
    });
    if (this.options.auth) client.addAuthInfo('digest', Buffer.from(this.options.auth));
    this.client = client;
    // The client retries an unreachable server silently for ever; without this the only sign
    // would be the scheduler's "no leading master known yet".
    this.clearUnreachable();
    this.unreachableTimer = setInterval(() => {
      this.saidUnreachable = true;
      this.logger.warn(`ZooKeeper at ${this.options.servers} does not answer, so no Mesos master can be found (${this.description}); still trying`);
    }, this.options.unreachableWarnMs ?? 10_000);
    this.unreachableTimer.unref();
    client.on('connected', () => {
      this.logger.debug(`ZooKeeper ${this.options.servers}: connected`);
      if (this.saidUnreachable) this.logger.notice(`ZooKeeper at ${this.options.servers} answers again`);
      this.clearUnreachable();
      this.watch();
    });
    client.on('disconnected', () => this.logger.info(`ZooKeeper ${this.options.servers}: disconnected, keeping the last known leader`));
    client.on('expired', () => {
      // The session and its watches are gone: start over with a new one.
      this.logger.warn(`ZooKeeper ${this.options.servers}: session expired, reconnecting`);
      if (this.client === client) {
        client.removeAllListeners();
        client.close();
        this.client = undefined;
        if (!this.stopped) this.connect();
      }
    });
    client.on('authenticationFailed', () => {
      this.logger.error(`ZooKeeper ${this.options.servers}: authentication failed`);
    });
    client.connect();
  }

  private clearUnreachable(): void {
    if (this.unreachableTimer) clearInterval(this.unreachableTimer);
    this.unreachableTimer = undefined;
    this.saidUnreachable = false;
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.watch();
    }, RETRY_MS);
  }

  private watch(): void {
    const client = this.client;
    if (!client || this.stopped) return;
    const generation = ++this.generation;
    const current = (): boolean => generation === this.generation && client === this.client && !this.stopped;
    client.getChildren(this.options.path, () => { if (current()) this.watch(); }, (err, children) => {
      if (!current()) return;
      if (err) {
        if ((err as { getCode?: () => number }).getCode?.() === zk().Exception.NO_NODE) {
          // No master has registered yet: wait for the path to appear.
          this.setLeader(null);
          client.exists(this.options.path, () => { if (current()) this.watch(); }, (e2, stat) => {
            if (!current()) return;
            if (e2) this.retryLater();
            else if (stat) this.watch();
          });
          return;
        }
        this.logger.warn(`ZooKeeper ${this.options.servers}: cannot list ${this.options.path}: ${String(err)}`);
        this.retryLater();
        return;
      }
      const infos = children
        .map((name) => ({ name, m: INFO_NODE.exec(name) }))
        .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
        .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
      if (infos.length === 0) {
        this.setLeader(null);
        return;
      }
      const node = `${this.options.path}/${infos[0].name}`;
      client.getData(node, (e3, data) => {
        if (!current()) return;
        if (e3) {
          // The node vanished between the listing and the read: the children watch fires too.
          this.logger.debug(`ZooKeeper: cannot read ${node}: ${String(e3)}`);
          this.retryLater();
          return;
        }
        try {
          this.setLeader(masterUrlFromInfoJson(data.toString('utf8'), this.options.scheme, this.options.preferHostname));
        } catch (parseErr) {
          this.logger.error(`ZooKeeper: ${node} does not hold a MasterInfo JSON`, parseErr);
          this.setLeader(null);
        }
      });
    });
  }

  private setLeader(url: string | null): void {
    if (url === this.leader) return;
    this.leader = url;
    this.logger.notice(url ? `leading Mesos master (from ZooKeeper): ${url}` : `no leading Mesos master in ${this.description}`);
    this.emit('leader', url);
  }
}

export interface DetectorOptions {
  scheme?: 'http' | 'https';
  logger?: Logger;
  zkSessionTimeoutMs?: number;
  preferHostname?: boolean;
}

export function createMasterDetector(spec: string, options: DetectorOptions = {}): MasterDetector {
  const parsed = parseMasterSpec(spec, options.scheme);
  if (parsed.kind === 'static') return new StaticMasterDetector(parsed.urls);
  return new ZooKeeperMasterDetector({
    servers: parsed.servers,
    path: parsed.path,
    auth: parsed.auth,
    scheme: options.scheme,
    logger: options.logger,
    sessionTimeoutMs: options.zkSessionTimeoutMs,
    preferHostname: options.preferHostname,
  });
}

/**
 * A client's detector: built from a spec (then the client owns it and starts and stops it), or
 * handed in (then whoever made it starts and stops it, and may share it between clients).
 */
export function detectorFor(master: string | MasterDetector, options: DetectorOptions = {}): { detector: MasterDetector; owned: boolean } {
  return typeof master === 'string'
    ? { detector: createMasterDetector(master, options), owned: true }
    : { detector: master, owned: false };
}
