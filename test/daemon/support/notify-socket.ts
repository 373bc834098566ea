// A real NOTIFY_SOCKET for tests: an AF_UNIX datagram socket, which Node cannot bind, so a small
// python3 program binds it and prints each datagram as one JSON line. (socat would do the binding
// too, but it keeps the file descriptors that systemd-notify's BARRIER=1 passes along, so every
// notification would wait out the 5 s barrier timeout; python's recv() drops them like systemd does.)
// "pause"/"resume" on stdin stop and restart reading, to play a manager that is slow to answer.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { waitFor } from './wait';

const LISTENER = `
import json, os, select, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"event": "listening"}), flush=True)
reading = True
while True:
    r, _, _ = select.select([sys.stdin] + ([s] if reading else []), [], [])
    if sys.stdin in r:
        line = sys.stdin.readline()
        if not line:
            break
        reading = line.strip() != "pause"
        print(json.dumps({"event": "paused" if not reading else "resumed"}), flush=True)
    if reading and s in r:
        data = s.recv(65536)
        print(json.dumps({"event": "datagram", "text": data.decode("utf-8", "replace")}), flush=True)
`;

export function python3Available(): boolean {
  const r = require('child_process').spawnSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
  return r.status === 0;
}

export class NotifySocket {
  /** Every datagram, in arrival order. */
  readonly datagrams: string[] = [];
  private readonly events: string[] = [];
  private buffer = '';

  private constructor(readonly path: string, private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, nl)) as { event: string; text?: string };
        this.buffer = this.buffer.slice(nl + 1);
        if (msg.event === 'datagram') this.datagrams.push(msg.text!);
        else this.events.push(msg.event);
      }
    });
  }

  static async open(dir: string): Promise<NotifySocket> {
    const sockPath = path.join(dir, 'notify.sock');
    const child = spawn('python3', ['-c', LISTENER, sockPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    const sock = new NotifySocket(sockPath, child);
    await waitFor(() => sock.events.includes('listening'), 10_000, 'the python3 notify listener');
    return sock;
  }

  /** The notification messages, without the BARRIER=1 round trips, each as its assignments. */
  get messages(): Map<string, string>[] {
    return this.datagrams
      .filter((d) => d !== 'BARRIER=1')
      .map((d) => new Map(d.split('\n').map((l) => {
        const eq = l.indexOf('=');
        return [l.slice(0, eq), l.slice(eq + 1)] as [string, string];
      })));
  }

  /** How many senders have completed (each systemd-notify run ends with one barrier). */
  get barriers(): number {
    return this.datagrams.filter((d) => d === 'BARRIER=1').length;
  }

  count(key: string, value?: string): number {
    return this.messages.filter((m) => m.has(key) && (value === undefined || m.get(key) === value)).length;
  }

  statuses(): string[] {
    return this.messages.filter((m) => m.has('STATUS')).map((m) => m.get('STATUS')!);
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(predicate, timeoutMs, what);
  }

  async pause(): Promise<void> {
    const n = this.events.filter((e) => e === 'paused').length;
    this.child.stdin!.write('pause\n');
    await waitFor(() => this.events.filter((e) => e === 'paused').length > n, 5000, 'the listener to pause');
  }

  resume(): void {
    this.child.stdin!.write('resume\n');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
