// The daemon's configuration: command-line flags, then PI_MESOS_* environment (the unit's
// EnvironmentFile), then defaults. Everything is validated here, up front, so that a typo in
// /etc/default/pi-mesos stops the service at once with a message naming the field, instead of
// surfacing an hour later inside the framework. main.ts exits EX_CONFIG on ConfigError, and the
// unit's RestartPreventExitStatus keeps systemd from restarting into the same mistake.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { LogLevel } from '../common/logger';
import { DisplaySpec, parseDimSchedule, parseDisplaySpec } from '../display/index';
import { DEFAULT_PRECISION } from './config-options';
import {
  ConfigError, ListenAddress, Raw, fromEnv, hostPortAllowed, parseArgv, parseBool, parseChoice, parseDuration, parseListen,
  parseNumber, parseRole, plainText, readableFile, splitHostPort,
} from './config-values';
import { readEnvironmentFile } from './env-file';

export { DEFAULT_PRECISION, EXIT_CODES, SIGNALS, envName, environmentVariables, helpText } from './config-options';
export { ConfigError, ListenAddress } from './config-values';

/** sysexits.h EX_CONFIG: the configuration is wrong; restarting will not help. */
export const EX_CONFIG = 78;

export type MasterSpec =
  | { kind: 'local'; workers: number }
  | { kind: 'static'; masters: string[] }
  | { kind: 'zk'; url: string };

export type ExecutorDelivery =
  | { kind: 'fetch' }
  | { kind: 'command'; path: string };

export interface Config {
  master: MasterSpec;
  principal: string | null;
  secretFile: string | null;
  /** The secret read from secretFile (trailing newline removed); never from argv or environment. */
  secret: string | null;
  caFile: string | null;
  role: string;
  frameworkName: string;
  user: string;
  /** Seconds. */
  failoverTimeout: number;
  stateDir: string;
  display: DisplaySpec;
  /** The --display text as given, for logging and for rebuilding the display on SIGHUP. */
  displayText: string;
  displayPageSeconds: number;
  /** The validated dim schedule text (e.g. "22:00-07:00"), or null for never. */
  dim: string | null;
  displayOnStop: 'stopped' | 'blank';
  precision: number;
  targetTaskSeconds: number;
  /** Planned compute time of one range (a task holds targetTaskSeconds / targetRangeSeconds of them). */
  targetRangeSeconds: number;
  maxTerms: number | null;
  /** Upper bound on the terms of one task (null: only the target duration sizes tasks). */
  maxTaskTerms: number | null;
  executor: ExecutorDelivery;
  /** The node binary the agents run the fetched executor with: absolute, or a name looked up in PATH. */
  executorNode: string;
  /** Fraction of each task's CPU time the worker threads compute, in (0, 1]. */
  executorDuty: number;
  /** Seconds an executor stays without tasks before it exits (0: never). */
  executorIdleSeconds: number;
  /** Host the agents use in the executor bundle URL; null when the HTTP server is off. */
  executorUrlHost: string | null;
  http: ListenAddress | null;
  logLevel: LogLevel;
  wireFormat: 'protobuf' | 'json';
  teardown: boolean;
  checkConfig: boolean;
  help: boolean;
  /** Things worth a log line that are not errors (unknown PI_MESOS_* variables, odd combinations). */
  warnings: string[];
}

/** What loadConfig would otherwise ask the machine; tests pin these. */
export interface ConfigHost {
  stdoutIsTTY: boolean;
  cpuCount: number;
  userName: string;
  homeDir: string;
  cwd: string;
  hostname: string;
  /** Why the i2c-bus native module cannot be loaded, or null when it can (the panel kinds need it). */
  i2cBusMissing?: () => string | null;
}

function i2cBusMissing(): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require('i2c-bus');
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

function parseMaster(r: Raw, host: ConfigHost): MasterSpec {
  const v = r.value.trim();
  const allowed = 'local, local[N] with N 1..1024, host:port[,host:port...] (optionally http:// or https://), '
    + 'or zk://host:port[,host:port...]/path';
  const bad = (): never => { throw new ConfigError('master', r.value, allowed, r.source); };
  if (v === 'local') return { kind: 'local', workers: Math.max(1, host.cpuCount) };
  const local = /^local\[(\d+)\]$/.exec(v);
  if (local) {
    const n = Number(local[1]);
    if (n < 1 || n > 1024) bad();
    return { kind: 'local', workers: n };
  }
  if (v.startsWith('zk://')) {
    const rest = v.slice('zk://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) bad();
    const hosts = rest.slice(0, slash).split(',');
    const znode = rest.slice(slash);
    if (hosts.some((h) => !splitHostPort(h, false))) bad();
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(znode)) bad();
    return { kind: 'zk', url: v };
  }
  const masters = v.split(',').map((s) => s.trim());
  for (const m of masters) {
    const hp = m.replace(/^https?:\/\//, '').replace(/\/$/, '');
    if (!splitHostPort(hp, false)) bad();
  }
  return { kind: 'static', masters: masters.map((m) => m.replace(/\/$/, '')) };
}

function defaultStateDir(env: NodeJS.ProcessEnv, host: ConfigHost): string {
  // systemd sets STATE_DIRECTORY from StateDirectory= (a colon-separated list if several).
  const fromSystemd = env.STATE_DIRECTORY?.split(':')[0];
  if (fromSystemd) return fromSystemd;
  const cache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
    ? env.XDG_CACHE_HOME
    : path.join(host.homeDir, '.cache');
  return path.join(cache, 'pi-mesos');
}

export function defaultHost(env: NodeJS.ProcessEnv = process.env): ConfigHost {
  let userName: string;
  let homeDir: string;
  try {
    const info = os.userInfo();
    userName = info.username;
    homeDir = info.homedir;
  } catch {
    // A DynamicUser or a uid without a passwd entry.
    userName = env.USER ?? 'nobody';
    homeDir = '/';
  }
  // $HOME wins over the passwd entry, as with every other tool (and os.homedir()): `sudo -E`,
  // a test's or a container's HOME.
  if (env.HOME && path.isAbsolute(env.HOME)) homeDir = env.HOME;
  return {
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    cpuCount: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    userName,
    homeDir,
    cwd: process.cwd(),
    hostname: os.hostname(),
    i2cBusMissing,
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv, hostInfo?: Partial<ConfigHost>): Config {
  const host: ConfigHost = { ...defaultHost(env), ...hostInfo };
  const warnings: string[] = [];
  const raw = parseArgv(argv);
  fromEnv(env, raw, warnings);
  const get = (flag: string, def: string): Raw => raw.get(flag) ?? { value: def, source: 'default' };
  const opt = (flag: string): Raw | undefined => raw.get(flag);

  const master = parseMaster(get('master', 'local'), host);

  const principalRaw = opt('principal');
  const principal = principalRaw
    ? plainText(principalRaw, 'principal', 'a name without whitespace or ":" (it is sent as HTTP basic authentication)', /^[^\s:]+$/)
    : null;
  const secretRaw = opt('secret-file');
  let secretFile: string | null = null;
  let secret: string | null = null;
  if (secretRaw) {
    if (!principal) throw new ConfigError('secret-file', secretRaw.value, 'no --secret-file without --principal', secretRaw.source);
    secretFile = readableFile(secretRaw, 'secret-file', host.cwd);
    secret = fs.readFileSync(secretFile, 'utf8').replace(/\r?\n$/, '');
    if (secret === '' || /[\r\n]/.test(secret)) {
      throw new ConfigError('secret-file', secretRaw.value, 'a file holding the secret on one line', secretRaw.source);
    }
  }
  const caRaw = opt('ca-file');
  const caFile = caRaw ? readableFile(caRaw, 'ca-file', host.cwd) : null;

  const role = parseRole(get('role', '*'));
  const frameworkName = plainText(get('framework-name', 'pi-mesos'), 'framework-name',
    'a non-empty name of printable characters, at most 200', /^[^\x00-\x1f\x7f]{1,200}$/);
  const user = plainText(get('user', 'nobody'), 'user', 'a Unix user name (no whitespace or ":")', /^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$/);
  const failoverTimeout = parseDuration(get('failover-timeout', '604800'), 'failover-timeout');

  const stateRaw = opt('state-dir');
  let stateDir: string;
  if (stateRaw) {
    if (stateRaw.value.trim() === '') throw new ConfigError('state-dir', stateRaw.value, 'a directory path', stateRaw.source);
    stateDir = path.resolve(host.cwd, stateRaw.value.trim());
  } else {
    stateDir = defaultStateDir(env, host);
  }
  if (fs.existsSync(stateDir) && !fs.statSync(stateDir).isDirectory()) {
    throw new ConfigError('state-dir', stateDir, 'a directory (or a path where one can be created)', stateRaw?.source ?? 'default');
  }

  const displayRaw = get('display', host.stdoutIsTTY ? 'terminal' : 'none');
  let display: DisplaySpec;
  try {
    display = parseDisplaySpec(displayRaw.value);
  } catch (e) {
    throw new ConfigError('display', displayRaw.value, `a display spec (${(e as Error).message})`, displayRaw.source);
  }
  if (display.kind === 'ssd1306' || display.kind === 'sh1106' || display.kind === 'hd44780') {
    // i2c-bus is an optional dependency: npm skips it where it cannot be built (no C++ toolchain).
    const missing = (host.i2cBusMissing ?? i2cBusMissing)();
    if (missing !== null) {
      throw new ConfigError('display', displayRaw.value, 'a display this installation can drive: the I2C panels need the i2c-bus '
        + `native module, which is not installed or not built here (${missing}); install a C++ toolchain and python3 `
        + '(apt install build-essential python3), run npm ci again, or use terminal, png or none', displayRaw.source);
    }
  }
  const displayPageSeconds = parseNumber(get('display-page-seconds', '5'), 'display-page-seconds', 1, 3600, false, ' seconds');
  const dimRaw = opt('dim');
  let dim: string | null = null;
  if (dimRaw && !['off', 'never', 'none'].includes(dimRaw.value.trim().toLowerCase())) {
    try {
      dim = parseDimSchedule(dimRaw.value).text;
    } catch (e) {
      throw new ConfigError('dim', dimRaw.value, `HH:MM-HH:MM in 24-hour local time, e.g. 22:00-07:00, or off (${(e as Error).message})`, dimRaw.source);
    }
  }
  const displayOnStop = parseChoice(get('display-on-stop', 'stopped'), 'display-on-stop', ['stopped', 'blank'] as const);

  const precision = parseNumber(get('precision', String(DEFAULT_PRECISION)), 'precision', 10, 10000, true, ' digits');
  const targetTaskSeconds = parseNumber(get('target-task-seconds', '300'), 'target-task-seconds', 1, 86400, false, ' seconds');
  const targetRangeSeconds = parseNumber(get('target-range-seconds', '10'), 'target-range-seconds', 0.1, 3600, false, ' seconds');
  const maxRaw = opt('max-terms');
  const maxTerms = maxRaw ? parseNumber(maxRaw, 'max-terms', 1, Number.MAX_SAFE_INTEGER, true) : null;
  const maxTaskRaw = opt('max-task-terms');
  const maxTaskTerms = maxTaskRaw ? parseNumber(maxTaskRaw, 'max-task-terms', 32, 2 ** 40, true) : null;
  if (maxTaskRaw && maxTaskTerms! % 32 !== 0) {
    throw new ConfigError('max-task-terms', maxTaskRaw.value, 'a multiple of 32 (ranges are aligned to 32 terms)', maxTaskRaw.source);
  }

  const execRaw = get('executor', 'fetch');
  let executor: ExecutorDelivery;
  const execText = execRaw.value.trim();
  if (execText === 'fetch') {
    executor = { kind: 'fetch' };
  } else if (execText.startsWith('command:') && path.posix.isAbsolute(execText.slice('command:'.length))) {
    executor = { kind: 'command', path: execText.slice('command:'.length) };
  } else {
    throw new ConfigError('executor', execRaw.value, 'fetch, or command:/absolute/path/on/the/agents', execRaw.source);
  }

  const nodeRaw = get('executor-node', 'node');
  const executorNode = nodeRaw.value.trim();
  if (!(path.posix.isAbsolute(executorNode) ? !/[\s]/.test(executorNode) : /^[A-Za-z0-9._+-]+$/.test(executorNode))) {
    throw new ConfigError('executor-node', nodeRaw.value, 'an absolute path on the agents (/opt/node/bin/node) or a program name looked up in their PATH (node)', nodeRaw.source);
  }
  if (opt('executor-node') && executor.kind === 'command') {
    warnings.push(`--executor-node ${executorNode} is not used with --executor command: the installed launcher names its own node`);
  }
  const dutyRaw = get('executor-duty', '1');
  // One wording for every bad value (0 is in parseNumber's range but means "never compute").
  const dutyText = dutyRaw.value.trim();
  const executorDuty = /^\d+(\.\d+)?$/.test(dutyText) ? Number(dutyText) : NaN;
  if (!(executorDuty > 0 && executorDuty <= 1)) throw new ConfigError('executor-duty', dutyRaw.value, 'a fraction above 0 and at most 1 (0.5: half of each CPU)', dutyRaw.source);
  const executorIdleSeconds = parseNumber(get('executor-idle-seconds', '300'), 'executor-idle-seconds', 0, 7 * 86400, false, ' seconds');

  const http = parseListen(get('http', '127.0.0.1:9105'));
  const urlHostRaw = opt('executor-url-host');
  let executorUrlHost: string | null = null;
  if (urlHostRaw) {
    const v = urlHostRaw.value.trim();
    // A name, an IPv4 address, or an IPv6 address (bracketed or not); "host:port" is none of them,
    // and the URL would carry two ports.
    const bare = v.replace(/^\[(.*)\]$/, '$1');
    const ok = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v) || net.isIP(bare) === 6;
    if (!ok) throw new ConfigError('executor-url-host', urlHostRaw.value, 'a host name or IP address (no port: the port is the one of --http)', urlHostRaw.source);
    executorUrlHost = v.replace(/^\[(.*)\]$/, '$1');
  } else if (http) {
    executorUrlHost = isWildcard(http.host) ? host.hostname : http.host;
  }
  const teardownRaw = get('teardown', 'false');
  const teardown = parseBool(teardownRaw, 'teardown');
  if (teardown && master.kind === 'local') {
    throw new ConfigError('teardown', teardownRaw.value, 'a Mesos master (--master host:port or zk://...): local mode has no framework to tear down', teardownRaw.source);
  }
  // --teardown launches nothing: it needs no bundle served, whatever the executor setting says.
  if (master.kind !== 'local' && executor.kind === 'fetch' && !teardown) {
    if (!http) {
      throw new ConfigError('executor', execRaw.value, 'command:/absolute/path when --http is off (fetch needs the HTTP server to serve the bundle)', execRaw.source);
    }
    if (executorUrlHost !== null && isLoopback(executorUrlHost)) {
      warnings.push(`the executor bundle URL uses ${executorUrlHost}: only an agent on this host can fetch it; `
        + 'set --http 0.0.0.0:PORT (or --executor-url-host) for agents on other machines');
    }
  }

  const logLevel = parseChoice(get('log-level', 'info'), 'log-level', ['error', 'warn', 'notice', 'info', 'debug'] as const);
  const wireFormat = parseChoice(get('wire-format', 'protobuf'), 'wire-format', ['protobuf', 'json'] as const);
  const checkConfig = parseBool(get('check-config', 'false'), 'check-config');
  const help = parseBool(get('help', 'false'), 'help');

  return {
    master, principal, secretFile, secret, caFile, role, frameworkName, user, failoverTimeout, stateDir,
    display, displayText: displayRaw.value.trim(), displayPageSeconds, dim, displayOnStop,
    precision, targetTaskSeconds, targetRangeSeconds, maxTerms, maxTaskTerms, executor, executorNode, executorDuty, executorIdleSeconds, executorUrlHost, http, logLevel, wireFormat,
    teardown, checkConfig, help, warnings,
  };
}

/** The effective configuration as KEY=value lines for --check-config (the secret is never shown). */
export function describeConfig(c: Config): string {
  return configRows(c).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** The effective settings as (option name, value shown) pairs, in --check-config's order. */
function configRows(c: Config): [string, string][] {
  const master = c.master.kind === 'local' ? `local[${c.master.workers}]`
    : c.master.kind === 'zk' ? c.master.url : c.master.masters.join(',');
  const rows: [string, string][] = [
    ['master', master],
    ['principal', c.principal ?? '(none)'],
    ['secret-file', c.secretFile ? `${c.secretFile} (secret read, ${c.secret?.length ?? 0} characters)` : '(none)'],
    ['ca-file', c.caFile ?? '(system CAs)'],
    ['role', c.role],
    ['framework-name', c.frameworkName],
    ['user', c.user],
    ['failover-timeout', `${c.failoverTimeout}s`],
    ['state-dir', c.stateDir],
    ['display', c.displayText],
    ['display-page-seconds', String(c.displayPageSeconds)],
    ['dim', c.dim ?? 'off'],
    ['display-on-stop', c.displayOnStop],
    ['precision', String(c.precision)],
    ['target-task-seconds', String(c.targetTaskSeconds)],
    ['target-range-seconds', String(c.targetRangeSeconds)],
    ['max-terms', c.maxTerms === null ? 'unlimited' : String(c.maxTerms)],
    ['max-task-terms', c.maxTaskTerms === null ? 'unlimited' : String(c.maxTaskTerms)],
    ['executor', c.executor.kind === 'fetch' ? 'fetch' : `command:${c.executor.path}`],
    ['executor-node', c.executorNode],
    ['executor-duty', String(c.executorDuty)],
    ['executor-idle-seconds', String(c.executorIdleSeconds)],
    ['executor-url-host', c.executorUrlHost ?? '(none)'],
    ['http', c.http ? formatListen(c.http) : 'off'],
    ['log-level', c.logLevel],
    ['wire-format', c.wireFormat],
    ['teardown', String(c.teardown)],
  ];
  return rows;
}

/** What SIGHUP applies at once: the display settings and the log level. */
const APPLIED_ON_RELOAD = new Set(['display', 'display-page-seconds', 'dim', 'display-on-stop', 'log-level']);

/**
 * The settings that differ between `old` and `next` and that only a restart applies, as
 * "name (old → new)", in --check-config's order. SIGHUP names them so that a change does not wait
 * unnoticed for the next start (where a bad one would then stop the service).
 */
export function changedUntilRestart(old: Config, next: Config): string[] {
  const b = new Map(configRows(next));
  return configRows(old).filter(([k, v]) => !APPLIED_ON_RELOAD.has(k) && b.get(k) !== v).map(([k, v]) => `${k} (${v} → ${b.get(k)})`);
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** --help wins over everything else, even over bad values elsewhere on the line. */
export function wantsHelp(argv: string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/** --version, like --help, answers whatever else is on the line. */
export function wantsVersion(argv: string[]): boolean {
  return argv.some((a) => a === '--version' || a === '-V');
}

/**
 * The environment the settings come from: `env` itself, or, with `--environment-file PATH` on the command
 * line, `env` without its PI_MESOS_* variables plus the file's, with PI_MESOS_ENV_FILE naming it
 * (what the unit's EnvironmentFile= gives the service, and what SIGHUP re-reads). Throws
 * ConfigError (field env-file) when the file cannot be read.
 */
export function environmentFor(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): NodeJS.ProcessEnv {
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--environment-file') file = argv[i + 1];
    else if (argv[i].startsWith('--environment-file=')) file = argv[i].slice('--environment-file='.length);
  }
  if (file === undefined) return env;
  if (file === '' || file.startsWith('--')) throw new ConfigError('environment-file', file, 'a value after --environment-file: PATH', '--environment-file');
  const resolved = path.resolve(cwd, file);
  let fromFile: Record<string, string>;
  try {
    fromFile = readEnvironmentFile(resolved);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError('environment-file', file, `a readable file of KEY=value lines (${why})`, '--environment-file');
  }
  const rest = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('PI_MESOS_')));
  return { ...rest, ...fromFile, PI_MESOS_ENV_FILE: resolved };
}
