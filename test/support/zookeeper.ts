// Starts a real, standalone ZooKeeper server (Debian's `zookeeper` package, or ZOOKEEPER_CLASSPATH /
// ZOOKEEPER_HOME) on a free loopback port with a throw-away data directory, for tests.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface ZooKeeperServer {
  /** "127.0.0.1:port" */
  connectString: string;
  port: number;
  stop(): Promise<void>;
}

/** The Java classpath of an installed ZooKeeper, or undefined when none is found. */
export function zooKeeperClasspath(): string | undefined {
  if (process.env.ZOOKEEPER_CLASSPATH) return process.env.ZOOKEEPER_CLASSPATH;
  // Debian/Ubuntu: the jar's manifest lists its dependencies.
  if (fs.existsSync('/usr/share/java/zookeeper.jar')) return '/usr/share/java/zookeeper.jar';
  const homes = [process.env.ZOOKEEPER_HOME, '/usr/share/zookeeper', '/opt/zookeeper'].filter((h): h is string => !!h);
  for (const home of homes) {
    const jars: string[] = [];
    for (const dir of [home, path.join(home, 'lib')]) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) if (f.endsWith('.jar')) jars.push(path.join(dir, f));
    }
    if (jars.some((j) => /zookeeper-\d.*\.jar$/.test(path.basename(j)))) return jars.join(':');
  }
  return undefined;
}

export function javaBinary(): string | undefined {
  const candidates = [process.env.JAVA_HOME && path.join(process.env.JAVA_HOME, 'bin', 'java'), '/usr/bin/java'];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

/** Why ZooKeeper cannot be started here, or undefined when it can. */
export function zooKeeperUnavailableReason(): string | undefined {
  if (!javaBinary()) return 'no java found (install a JRE, e.g. Debian package default-jre-headless)';
  if (!zooKeeperClasspath()) return 'no ZooKeeper installation found (install the Debian package `zookeeper`)';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True once the server answers the "srvr" four-letter command. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('connect', () => socket.write('srvr'));
    socket.on('data', (d) => { data += d.toString(); });
    socket.on('end', () => done(/Zookeeper version/i.test(data)));
    socket.on('error', () => done(false));
  });
}

export async function startZooKeeper(timeoutMs = 30_000): Promise<ZooKeeperServer> {
  const reason = zooKeeperUnavailableReason();
  if (reason) throw new Error(`cannot start ZooKeeper: ${reason}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-mesos-zk-'));
  const port = await freePort();
  const config = path.join(dir, 'zoo.cfg');
  fs.writeFileSync(config, [
    'tickTime=500',
    `dataDir=${path.join(dir, 'data')}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'admin.enableServer=false',
    '4lw.commands.whitelist=srvr',
    'maxClientCnxns=100',
    '',
  ].join('\n'));
  const log = fs.openSync(path.join(dir, 'zookeeper.log'), 'a');
  const child: ChildProcess = spawn(javaBinary() as string, [
    '-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dzookeeper.jmx.log4j.disable=true',
    '-cp', zooKeeperClasspath() as string, 'org.apache.zookeeper.server.ZooKeeperServerMain', config,
  ], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => { exited = true; resolve(); }));
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(port))) {
    if (exited || Date.now() > deadline) {
      const tail = fs.existsSync(path.join(dir, 'zookeeper.log'))
        ? fs.readFileSync(path.join(dir, 'zookeeper.log'), 'utf8').slice(-2000) : '';
      await stop();
      throw new Error(`ZooKeeper did not start on port ${port}${exited ? ' (it exited)' : ''}: ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { connectString: `127.0.0.1:${port}`, port, stop };
}
