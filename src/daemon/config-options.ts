// The options the daemon takes: their flags, environment names, defaults and help text. One table
// feeds --help, the environment-file reader and the shipped /etc/default/pi-mesos, so the three
// cannot drift apart.
/**
 * Enough for every digit the series can certify before it ends: about 2·log10 N decimals, 31 at
 * 2^52 terms. Fewer would stall the display long before the end (20 digits are certain after
 * ~10^10 terms, a minute's work for a small cluster).
 */
export const DEFAULT_PRECISION = 32;

export interface OptionDef {
  flag: string;
  /** Placeholder for the value in --help; null for a boolean flag. */
  arg: string | null;
  def: string;
  help: string;
  /** False for flags that make no sense in an environment file. */
  env: boolean;
}

export const OPTIONS: OptionDef[] = [
  { flag: 'master', arg: 'SPEC', def: 'local', env: true,
    help: 'local (one worker thread per CPU), local[N] (N worker threads), host:port[,host:port...] '
      + '(Mesos masters, optionally with http:// or https://; a 307 names the leader), or '
      + 'zk://host:port[,host:port...]/path (ZooKeeper master detection).' },
  { flag: 'principal', arg: 'NAME', def: 'none', env: true,
    help: 'Framework principal; sent in FrameworkInfo and, with --secret-file, as HTTP basic authentication.' },
  { flag: 'secret-file', arg: 'PATH', def: 'none', env: true,
    help: 'File holding the secret for --principal (the secret itself is never accepted on the command line).' },
  { flag: 'ca-file', arg: 'PATH', def: 'system CAs', env: true,
    help: 'PEM CA bundle to verify https masters with.' },
  { flag: 'role', arg: 'ROLE', def: '*', env: true, help: 'Mesos role to subscribe with.' },
  { flag: 'framework-name', arg: 'NAME', def: 'pi-mesos', env: true, help: 'Framework name shown by Mesos.' },
  { flag: 'user', arg: 'USER', def: 'nobody', env: true,
    help: 'Unix user the executor and its tasks run as on the agents; it must exist on every agent (agents '
      + 'started with --switch_user, the default, fail every task of a user they do not have). The daemon\'s '
      + 'own user is no default: under the unit\'s DynamicUser it exists only on this machine.' },
  { flag: 'failover-timeout', arg: 'DURATION', def: '604800 (7 days)', env: true,
    help: 'How long Mesos keeps the framework and its tasks while the daemon is away: seconds, or a number with s, m, h or d.' },
  { flag: 'state-dir', arg: 'DIR', def: '$STATE_DIRECTORY, else ${XDG_CACHE_HOME:-~/.cache}/pi-mesos', env: true,
    help: 'Where the framework ID and the checkpointed ledger live.' },
  { flag: 'display', arg: 'SPEC', def: 'terminal if stdout is a terminal, else none', env: true,
    help: 'KIND[:key=value,...]: none | terminal[:size=..,pages=..] | png:PATH[,size=..,scale=..] | '
      + 'ssd1306[:bus=1,address=0x3c,height=64|32,rotate=0|180,contrast=0..255,shift=on|off,refresh=60,pages=..] | '
      + 'sh1106[:bus=1,address=0x3c,rotate=..,contrast=..,offset=0..4 (2),refresh=60,pages=..] | '
      + 'hd44780[:bus=1,address=0x27,cols=20|16,rows=4|2,pins=01234567,backlight=on|off,backlight-active=high|low,refresh=60,pages=..]; '
      + 'pages is a +-joined subset of cluster, pi, framework; refresh is 0 (off) or 10..3600 seconds.' },
  { flag: 'display-page-seconds', arg: 'SECONDS', def: '5', env: true,
    help: 'How long each page stays on a panel that cycles pages (1..3600).' },
  { flag: 'dim', arg: 'HH:MM-HH:MM', def: 'never', env: true,
    help: 'Local-time window in which the panel is dimmed, e.g. 22:00-07:00 (may wrap midnight); "off" for never.' },
  { flag: 'display-on-stop', arg: 'stopped|blank', def: 'stopped', env: true,
    help: 'What the panel shows after the daemon stops.' },
  { flag: 'precision', arg: 'DIGITS', def: String(DEFAULT_PRECISION), env: true,
    help: 'Decimal digits carried by every partial sum (10..10000); bounds the digits that can be certified.' },
  { flag: 'target-task-seconds', arg: 'SECONDS', def: '300', env: true,
    help: 'Planned run time of one Mesos task (1..86400). A task holds ranges of --target-range-seconds and reports '
      + 'each finished one in a status update, so a long task pays the launch gap (up to the master\'s allocation '
      + 'interval, 1 s by default) once and loses at most one range to a fault.' },
  { flag: 'target-range-seconds', arg: 'SECONDS', def: '10', env: true,
    help: 'Planned compute time of one range of terms (0.1..3600): what a fault costs at most, and how often progress '
      + 'is reported. The planner sizes ranges from each agent\'s measured throughput. Local mode runs one range per task.' },
  { flag: 'max-terms', arg: 'N', def: 'unlimited', env: true,
    help: 'Stop launching once the finished prefix reaches N terms (for tests and demos).' },
  { flag: 'max-task-terms', arg: 'N', def: 'unlimited', env: true,
    help: 'Never put more than N terms (a multiple of 32) in one task, whatever the target duration; past 2^21 terms a task holds at least one group of 16384.' },
  { flag: 'executor', arg: 'fetch|command:PATH', def: 'fetch', env: true,
    help: 'How agents get the executor: fetch (the Mesos fetcher downloads the bundle this daemon serves '
      + 'under /executor/ on --http) or command:/abs/path (preinstalled on every agent).' },
  { flag: 'executor-node', arg: 'PATH|NAME', def: 'node', env: true,
    help: 'The Node.js binary on the agents, for --executor fetch: an absolute path, or a name looked up in '
      + 'the executor\'s PATH. Agents build that environment from scratch: PATH is the one in their '
      + '--executor_environment_variables, else /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin '
      + '(a node from nvm, /opt or a tarball is not on it).' },
  { flag: 'executor-duty', arg: 'FRACTION', def: '1', env: true,
    help: 'Share of each task\'s CPU time the executor\'s worker threads compute, in (0, 1]; below 1 they '
      + 'pause between slices (a Pi that runs hot). Sent to the executors in their environment.' },
  { flag: 'executor-idle-seconds', arg: 'SECONDS', def: '300', env: true,
    help: 'An executor with no task for this long exits and gives its resources back (0: never). Sent to '
      + 'the executors in their environment.' },
  { flag: 'executor-url-host', arg: 'HOST', def: 'the --http host, or this host\'s name when --http listens on all addresses', env: true,
    help: 'Host name or address the agents use to reach the executor bundle.' },
  { flag: 'http', arg: 'HOST:PORT|off', def: '127.0.0.1:9105', env: true,
    help: 'Listen address of the /status, /metrics and /executor/ endpoints ([::1]:9105 for IPv6, 0.0.0.0:9105 '
      + 'for all IPv4 addresses); off disables them.' },
  { flag: 'log-level', arg: 'LEVEL', def: 'info', env: true, help: 'error | warn | notice | info | debug.' },
  { flag: 'wire-format', arg: 'protobuf|json', def: 'protobuf', env: true,
    help: 'Encoding of the Mesos v1 HTTP API calls and events.' },
  { flag: 'environment-file', arg: 'PATH', def: 'none', env: false,
    help: '(Not --env-file: Node 20 takes that for itself wherever it appears on its command line.) '
      + 'Take the PI_MESOS_* settings from this KEY=value file (as the unit\'s EnvironmentFile= does) instead '
      + 'of the environment; SIGHUP re-reads it. `pi-mesos --environment-file /etc/default/pi-mesos --check-config` '
      + 'checks what the service would get.' },
  { flag: 'teardown', arg: null, def: 'off', env: false,
    help: 'One-shot command, not a setting: subscribe with the framework ID stored in the state directory, '
      + 'tear that framework down (Mesos kills its tasks and forgets it), forget the ID and exit 0. Needs a '
      + 'Mesos master; stop the service first (it holds the state directory). Refused in the environment.' },
  { flag: 'check-config', arg: null, def: 'off', env: false,
    help: 'Check everything a start checks (settings, secret file, state directory and its checkpoint, '
      + 'the HTTP address, the display\'s driver) without starting; print the effective settings and exit '
      + '0, or name the problem and exit with the status a start would have.' },
  { flag: 'version', arg: null, def: 'off', env: false, help: 'Print the version and exit.' },
  { flag: 'help', arg: null, def: 'off', env: false, help: 'Show this help and exit.' },
];

/** sysexits.h statuses the daemon exits with, for --help and the README. */
export const EXIT_CODES: readonly { code: number; meaning: string }[] = [
  { code: 0, meaning: 'stopped by SIGTERM/SIGINT, run complete (--max-terms), or --teardown done' },
  { code: 1, meaning: 'Mesos refused the framework for good (e.g. removed after its failover timeout); the unit restarts' },
  { code: 69, meaning: 'EX_UNAVAILABLE: the --http address is in use or not on this machine; the unit restarts (5 times in 5 minutes)' },
  { code: 70, meaning: 'EX_SOFTWARE: an internal error, logged with its stack; the unit restarts' },
  { code: 78, meaning: 'EX_CONFIG: a bad setting, a secret file others can read, a checkpoint of another precision, or '
    + 'the state directory in use by another pi-mesos; the unit does not restart (RestartPreventExitStatus=78)' },
];

/** What the daemon does on each signal, for --help and the README. */
export const SIGNALS: readonly { signal: string; meaning: string }[] = [
  { signal: 'SIGTERM, SIGINT', meaning: 'stop: STOPPING=1, stop launching, checkpoint, final display frame, exit 0; '
    + 'the Mesos framework stays registered and its tasks run on until the next start adopts them' },
  { signal: 'SIGHUP', meaning: 're-read the settings (from --environment-file or PI_MESOS_ENV_FILE), apply the display '
    + 'settings and the log level, reopen the display; bad new settings are logged and the old ones kept' },
];

export const BY_FLAG = new Map(OPTIONS.map((o) => [o.flag, o]));

export function envName(flag: string): string {
  return 'PI_MESOS_' + flag.toUpperCase().replace(/-/g, '_');
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

export function helpText(): string {
  const head = [
    'Usage: pi-mesos [OPTIONS]',
    '',
    'Computes pi from the Gregory-Leibniz series on a Mesos cluster (or locally), shows progress on',
    'an I2C display, and runs as a systemd service (Type=notify).',
    '',
    'Each option is taken from the command line (--name VALUE or --name=VALUE), else from the',
    'environment variable shown (the unit reads /etc/default/pi-mesos), else its default. An empty',
    'variable counts as unset. A bad value names the option and exits with status 78.',
    '',
    'Options:',
  ];
  const body = OPTIONS.map((o) => {
    const sig = o.arg ? `--${o.flag} ${o.arg}` : `--${o.flag}`;
    const env = o.env ? `  [${envName(o.flag)}]` : '';
    return `  ${sig}${env}\n${wrap(`${o.help} Default: ${o.def}.`, 92, '      ')}`;
  });
  const exits = ['', 'Exit status:', ...EXIT_CODES.map((e) => `  ${String(e.code).padEnd(2)}  ${wrap(e.meaning, 86, '').replace(/\n/g, '\n      ')}`)];
  const signals = ['', 'Signals:', ...SIGNALS.map((s) => `  ${s.signal}\n${wrap(s.meaning, 92, '      ')}`)];
  return [...head, ...body, ...exits, ...signals, ''].join('\n');
}

/** The environment variables the configuration reads, in --help order (for the shipped env file). */
export function environmentVariables(): string[] {
  return OPTIONS.filter((o) => o.env).map((o) => envName(o.flag));
}
