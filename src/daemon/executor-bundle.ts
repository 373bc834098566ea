import { spawn } from 'child_process';
import { createHash } from 'crypto';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CommandInfo, EnvironmentVariable } from '../mesos/types';

/** The package root: this file runs from dist/src/daemon. */
export const PACKAGE_ROOT = path.resolve(__dirname, '../../..');
export const BUNDLE_FILE = 'pi-mesos-executor.tar.gz';
/** Where the executor's entry point lands in the sandbox once the fetcher has extracted the bundle. */
const ENTRY = 'dist/src/executor/main.js';

/** Compiled modules the executor needs: itself and what it imports, nothing of the daemon's rest. */
const CODE = ['dist/src/common', 'dist/src/pi', 'dist/src/executor', 'dist/src/mesos', 'proto', 'package.json'];

/** The production dependencies of `name`, transitively, as node_modules paths. */
async function dependencyClosure(root: string, names: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const todo = [...names];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const pkg = JSON.parse(await fs.readFile(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    todo.push(...Object.keys(pkg.dependencies ?? {}));
  }
  return [...seen].sort().map((n) => path.join('node_modules', n));
}

/**
 * Packs the executor (compiled JS, protos, protobufjs and its dependencies) into a tarball for the
 * Mesos fetcher, so agents need nothing but Node.js. tar runs with an argument vector, no shell.
 */
export async function buildExecutorBundle(outDir: string, root = PACKAGE_ROOT): Promise<string> {
  await fs.mkdir(outDir, { recursive: true });
  const out = path.join(outDir, BUNDLE_FILE);
  const tmp = `${out}.${process.pid}.tmp`;
  // A daemon killed while tar ran left its temporary file (named by its PID) behind.
  for (const name of await fs.readdir(outDir)) {
    if (name.startsWith(`${BUNDLE_FILE}.`) && name.endsWith('.tmp')) await fs.rm(path.join(outDir, name), { force: true });
  }
  const deps = await dependencyClosure(root, ['protobufjs']);
  const entries = [...CODE, ...deps];
  for (const e of entries) await fs.access(path.join(root, e));
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-czf', tmp, '--exclude=*.map', '-C', root, ...entries], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    tar.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    tar.on('error', reject);
    tar.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}: ${err.trim()}`))));
  });
  await fs.rename(tmp, out);
  return out;
}

/**
 * Where the bundle goes when the state directory takes no writes: one directory per state
 * directory and user under the temporary directory, reused by every start. A daemon killed with
 * kill -9 cannot remove it; the next start on the same state directory reuses it, so such kills
 * leave at most one (~450 kB; none under systemd, whose PrivateTmp= goes with the unit). Made
 * mode 0700 (and made so again if it is ours but was opened up); one that is not ours (another
 * user's, a symlink) is refused, with the reason in `refused`, and a fresh mkdtemp directory
 * serves instead.
 */
export async function fallbackBundleDirectory(stateDir: string, tmp = os.tmpdir()): Promise<{ dir: string; reused: boolean; refused?: string }> {
  const uid = process.getuid?.() ?? 0;
  const id = createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 12);
  const dir = path.join(tmp, `pi-mesos-executor-${uid}-${id}`);
  let reused = false;
  try {
    await fs.mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    reused = true;
  }
  const st = await fs.lstat(dir);
  if (st.isDirectory() && st.uid === uid) {
    // Ours but opened up (by hand, a umask): close it again rather than leak a new one each start.
    if ((st.mode & 0o077) !== 0) await fs.chmod(dir, 0o700);
    return { dir, reused };
  }
  return { dir: await fs.mkdtemp(path.join(tmp, 'pi-mesos-executor-')), reused: false, refused: `${dir} is ${st.isDirectory() ? `owned by uid ${st.uid}` : 'not a directory'}` };
}

/**
 * CommandInfo for an executor fetched as the bundle from `url`, run by `node`: an absolute path,
 * or a name that /usr/bin/env looks up in the executor's PATH (an agent builds that environment
 * from scratch: its --executor_environment_variables, else Mesos's default PATH).
 */
export function fetchedExecutorCommand(url: string, node = 'node', environment: EnvironmentVariable[] = []): CommandInfo {
  const run = path.posix.isAbsolute(node)
    ? { value: node, arguments: [node, ENTRY] }
    : { value: '/usr/bin/env', arguments: ['env', node, ENTRY] };
  return {
    uris: [{ value: url, extract: true, cache: false, executable: false }],
    shell: false,
    ...run,
    ...(environment.length ? { environment: { variables: environment } } : {}),
  };
}

/** CommandInfo for an executor preinstalled on every agent at `file`. */
export function installedExecutorCommand(file: string, environment: EnvironmentVariable[] = []): CommandInfo {
  return { shell: false, value: file, arguments: [file], ...(environment.length ? { environment: { variables: environment } } : {}) };
}

/** The sha256 of the bundle file, hex: it names the executor's code in its ExecutorInfo. */
export async function bundleDigest(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** This package's version (package.json), as built. */
export function packageVersion(root = PACKAGE_ROOT): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
