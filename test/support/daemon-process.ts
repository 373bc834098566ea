import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags';
import { waitFor } from './wait';

export const DAEMON = path.resolve(__dirname, '../../src/daemon/main.js');

export interface RunningDaemon {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the compiled daemon as a real child process, collecting its output. */
export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): RunningDaemon {
  // As installed: with the Node.js options of the launcher.
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, DAEMON, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => out, exited };
}

/** The exit status of `d`, or a failure carrying the end of its log if it runs past `ms`. */
export async function exitOf(d: RunningDaemon, ms: number): Promise<number | null> {
  let end: { code: number | null } | undefined;
  void d.exited.then((e) => { end = e; });
  await waitFor(() => end, ms, `the daemon to finish\n${d.output().slice(-6000)}`);
  return end!.code;
}

/** SIGKILLs every daemon of `ds` still running and waits for each to be gone. */
export async function killAll(ds: RunningDaemon[]): Promise<void> {
  for (const d of ds) {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
  }
}
