// A TCP proxy on loopback between the daemon and the Mesos master, so the soak can cut the
// network between them the two ways a real one fails: "reset" (peers see RST, connects refused)
// and "silent" (bytes stop flowing both ways, nobody is told; when it heals, TCP's
// retransmissions would deliver what was held, so the held bytes go through then).
import * as net from 'net';

export type ProxyMode = 'open' | 'reset' | 'silent';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes held back by a silent cut, per direction. */
  held: { toUpstream: Buffer[]; toClient: Buffer[] };
}

export class CutProxy {
  private server?: net.Server;
  private readonly pairs = new Set<Pair>();
  private mode: ProxyMode = 'open';
  port = 0;

  constructor(private readonly target: () => { host: string; port: number }) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  get connections(): number { return this.pairs.size; }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const p of [...this.pairs]) {
      if (mode === 'reset') this.reset(p);
      else if (mode === 'open') this.flush(p);
    }
  }

  private reset(p: Pair): void {
    this.pairs.delete(p);
    p.client.resetAndDestroy();
    p.upstream.resetAndDestroy();
  }

  private flush(p: Pair): void {
    for (const d of p.held.toUpstream.splice(0)) p.upstream.write(d);
    for (const d of p.held.toClient.splice(0)) p.client.write(d);
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const t = this.target();
    const upstream = net.connect(t.port, t.host);
    const pair: Pair = { client, upstream, held: { toUpstream: [], toClient: [] } };
    this.pairs.add(pair);
    // No pipe(): its drain handling would resume a stream a silent cut holds.
    client.on('data', (d: Buffer) => {
      if (this.mode === 'silent') pair.held.toUpstream.push(d);
      else upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (this.mode === 'silent') pair.held.toClient.push(d);
      else client.write(d);
    });
    const end = (): void => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  }

  async stop(): Promise<void> {
    for (const p of [...this.pairs]) this.reset(p);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
