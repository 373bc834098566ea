// One daemon per state directory. Two would compute the same ranges (local mode; the last
// checkpoint wins) or take the Mesos framework from each other, and Restart=on-failure would make
// that a war. The lock is a listening AF_UNIX socket in the abstract namespace, named after the
// directory's device and inode: the kernel drops it when the process dies however it dies
// (kill -9 leaves no stale lock to clean up), and every path to the directory (the
// /var/lib/pi-mesos symlink, a bind mount) names the same lock. The PID of the holder is kept in
// a file next to the checkpoint, for the message only.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export const PID_FILE = 'daemon.pid';

/** Another process holds the directory; `pid` is the holder's as it recorded it, when known. */
export class StateLockError extends Error {
  constructor(readonly dir: string, readonly pid: number | null) {
    super(`the state directory ${dir} is in use by another pi-mesos${pid ? ` (PID ${pid})` : ''}: `
      + 'two daemons on one state directory would compute the same ranges or take the framework from each other. '
      + 'Stop the other one (systemctl stop pi-mesos), or give this one its own --state-dir (PI_MESOS_STATE_DIR)');
    this.name = 'StateLockError';
  }
}

export interface StateLock {
  readonly dir: string;
  /** Gives the directory up (also happens when the process exits). */
  release(): Promise<void>;
}

function socketName(dir: string): string {
  const st = fs.statSync(dir, { bigint: true });
  return `\0pi-mesos-state-${st.dev}-${st.ino}`;
}

function recordedPid(dir: string): number | null {
  try {
    const n = Number(fs.readFileSync(path.join(dir, PID_FILE), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * Takes the state directory `dir` (created, mode 0700, when missing) for this process. Rejects
 * with StateLockError when another process holds it; other errors (the directory cannot be made)
 * as they come.
 */
export async function lockStateDir(dir: string): Promise<StateLock> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = socketName(dir);
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new StateLockError(dir, recordedPid(dir)) : e);
    });
    server.listen({ path: name }, () => resolve());
  });
  // The lock must not keep the process alive on its own.
  server.unref();
  try {
    fs.writeFileSync(path.join(dir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
  } catch {
    // Only the message of a second daemon would miss the PID.
  }
  return {
    dir,
    release: () => new Promise<void>((resolve) => {
      try { fs.rmSync(path.join(dir, PID_FILE), { force: true }); } catch { /* see above */ }
      server.close(() => resolve());
    }),
  };
}

/**
 * Whether another process holds `dir` now, without taking it (for --check-config): the holder's
 * PID (0 when it recorded none), or null when the directory is free or does not exist.
 */
export async function stateDirHolder(dir: string): Promise<number | null> {
  if (!fs.existsSync(dir)) return null;
  try {
    const lock = await lockStateDir(dir);
    await lock.release();
    return null;
  } catch (e) {
    if (e instanceof StateLockError) return e.pid ?? 0;
    throw e;
  }
}
