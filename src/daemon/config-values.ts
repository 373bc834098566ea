// The values of the daemon's settings as they come in (flags, PI_MESOS_* environment) and the
// parsers that check one value each, naming the field and what it accepts on a mistake. The
// settings as a whole (defaults, cross-checks, the Config) are config.ts's.
import * as fs from 'fs';
import * as path from 'path';
import { BY_FLAG, OPTIONS, envName } from './config-options';

export interface ListenAddress {
  host: string;
  port: number;
}

export class ConfigError extends Error {
  constructor(
    /** The option's flag name without dashes, e.g. "precision". */
    readonly field: string,
    readonly value: string,
    /** What would have been accepted. */
    readonly allowed: string,
    /** Where the value came from: "--precision", "PI_MESOS_PRECISION" or "default". */
    readonly source: string,
    message?: string,
  ) {
    super(message ?? `invalid ${field} ${JSON.stringify(value)} (from ${source}): expected ${allowed}`);
    this.name = 'ConfigError';
  }
}

export interface Raw {
  value: string;
  source: string;
}

export function parseArgv(argv: string[]): Map<string, Raw> {
  const out = new Map<string, Raw>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('--') || token === '--') {
      throw new ConfigError('arguments', token, 'options of the form --name or --name=value (see --help)', 'command line');
    }
    const eq = token.indexOf('=');
    const flag = token.slice(2, eq < 0 ? undefined : eq);
    const def = BY_FLAG.get(flag);
    if (!def) {
      if (flag === 'secret') {
        throw new ConfigError('secret', '(hidden)', '--secret-file PATH: a secret on the command line is visible to every user in ps', '--secret');
      }
      const near = nearestFlag(flag);
      throw new ConfigError(flag, token, 'a known option (see --help)', 'command line',
        `unknown option --${flag}; ${near ? `did you mean --${near}? ` : ''}expected one of the options listed by --help`);
    }
    let value: string;
    if (def.arg === null) {
      value = eq < 0 ? 'true' : token.slice(eq + 1);
    } else if (eq >= 0) {
      value = token.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError(flag, '', `a value after --${flag}: ${def.arg}`, `--${flag}`);
      }
      value = next;
      i++;
    }
    out.set(flag, { value, source: `--${flag}` });
  }
  return out;
}

export function fromEnv(env: NodeJS.ProcessEnv, raw: Map<string, Raw>, warnings: string[]): void {
  const known = new Set<string>();
  for (const o of OPTIONS) {
    if (!o.env) continue;
    const name = envName(o.flag);
    known.add(name);
    const v = env[name];
    if (v !== undefined && v !== '' && !raw.has(o.flag)) raw.set(o.flag, { value: v, source: name });
  }
  // Not an option: where SIGHUP re-reads the settings from (the unit sets it to its EnvironmentFile).
  known.add('PI_MESOS_ENV_FILE');
  for (const name of Object.keys(env)) {
    if (name.startsWith('PI_MESOS_') && !known.has(name)) {
      // Read on every start of the service, it would end the framework each time.
      if (name === 'PI_MESOS_TEARDOWN' && env[name] !== '') {
        throw new ConfigError('teardown', env[name] ?? '', 'nothing: --teardown is a one-shot command (stop the service, then '
          + 'run pi-mesos --teardown), not a setting; remove PI_MESOS_TEARDOWN from the environment file', name);
      }
      if (name === 'PI_MESOS_SECRET') {
        throw new ConfigError('secret', '(hidden)', 'PI_MESOS_SECRET_FILE=PATH: the environment of a process is readable by its user and leaks into child processes', name);
      }
      warnings.push(`ignoring unknown environment variable ${name} (see pi-mesos --help)`);
    }
  }
}

export function hostPortAllowed(what: string): string {
  return `${what} as host:port, with the port 1..65535 (IPv6 as [addr]:port)`;
}

/** host:port or [v6]:port; returns null if malformed. */
export function splitHostPort(text: string, allowPortZero: boolean): ListenAddress | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535 || (port === 0 && !allowPortZero)) return null;
  return { host: m[1] ?? m[2], port };
}

export function parseNumber(r: Raw, field: string, min: number, max: number, integer: boolean, unit = ''): number {
  const text = r.value.trim();
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  const kind = integer ? 'an integer' : 'a number';
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new ConfigError(field, r.value, `${kind} from ${min} to ${max}${unit}`, r.source);
  }
  return n;
}

export function parseDuration(r: Raw, field: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(r.value.trim());
  const mult: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  const seconds = m ? Number(m[1]) * mult[m[2] ?? 's'] : NaN;
  // Mesos keeps the value as a double of seconds; a year is a sane ceiling against typos.
  if (!Number.isFinite(seconds) || seconds > 365 * 86400) {
    throw new ConfigError(field, r.value, 'seconds (0..31536000), or a number with s, m, h or d (e.g. 7d)', r.source);
  }
  return seconds;
}

export function parseChoice<T extends string>(r: Raw, field: string, choices: readonly T[]): T {
  const v = r.value.trim().toLowerCase();
  const found = choices.find((c) => c === v);
  if (!found) throw new ConfigError(field, r.value, choices.join(' | '), r.source);
  return found;
}

export function parseBool(r: Raw, field: string): boolean {
  const v = r.value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(field, r.value, 'true | false (also yes/no, on/off, 1/0)', r.source);
}

export function readableFile(r: Raw, field: string, cwd: string): string {
  const p = path.resolve(cwd, r.value);
  try {
    fs.accessSync(p, fs.constants.R_OK);
    if (!fs.statSync(p).isFile()) throw new Error('not a file');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(field, r.value, `the path of a readable file (${why})`, r.source);
  }
  return p;
}

export function plainText(r: Raw, field: string, allowed: string, pattern: RegExp): string {
  const v = r.value.trim();
  if (!pattern.test(v)) throw new ConfigError(field, r.value, allowed, r.source);
  return v;
}

export function parseRole(r: Raw): string {
  const v = r.value.trim();
  const segments = v.split('/');
  const ok = v === '*' || (
    /^[^\s\\*]+$/.test(v)
    && !/^[.-]/.test(v)
    && segments.every((s) => s !== '' && s !== '.' && s !== '..' && !s.startsWith('-')));
  if (!ok) {
    throw new ConfigError('role', r.value, '* or a role name (no whitespace or backslash, not starting with . or -, '
      + 'hierarchical parts separated by /)', r.source);
  }
  return v;
}

export function parseListen(r: Raw): ListenAddress | null {
  const v = r.value.trim();
  if (v.toLowerCase() === 'off') return null;
  const hp = splitHostPort(v, true);
  if (!hp) throw new ConfigError('http', r.value, `off, or ${hostPortAllowed('an address')} (0 picks a free port)`, r.source);
  return hp;
}

/** Edit distance of two short strings (for "did you mean"). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The option an unknown one most likely meant: the same words shortened (--env-file for
 * --environment-file), or a typo (at most two edits). Undefined when none is close.
 */
export function nearestFlag(flag: string): string | undefined {
  const parts = flag.split('-');
  const flags = [...BY_FLAG.keys()];
  const abbreviated = flags.find((f) => {
    const fp = f.split('-');
    return fp.length === parts.length && parts.every((p, i) => p.length > 0 && fp[i].startsWith(p));
  });
  if (abbreviated) return abbreviated;
  const scored = flags.map((f) => [f, editDistance(flag, f)] as const).filter(([, d]) => d <= 2).sort((x, y) => x[1] - y[1]);
  return scored[0]?.[0];
}
