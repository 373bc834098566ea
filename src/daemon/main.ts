#!/usr/bin/env node
// First: see early-signals.ts.
import { takeEarlySignal } from './early-signals';
import { packageVersion } from './executor-bundle';
import { Config, ConfigError, describeConfig, environmentFor, EX_CONFIG, helpText, loadConfig, wantsHelp, wantsVersion } from './config';
import { Daemon, RunEnd, StartupError } from './daemon';
import { preflight } from './preflight';
import { StateLockError } from './state-lock';
import { DaemonLogger, writeFatal } from '../common/log';
import { LedgerMismatchError } from '../framework/ledger';
import { CredentialsError } from '../mesos/credentials';

/** EX_SOFTWARE: an internal error; systemd restarts the service (Restart=on-failure). */
const EX_SOFTWARE = 70;

/** `pi-mesos --version`, and the head of the start-up line: this build and the node running it. */
export function versionText(): string {
  return `pi-mesos ${packageVersion()} (node ${process.version})`;
}

/**
 * The configuration again, for SIGHUP: flags as started, the environment re-read from
 * PI_MESOS_ENV_FILE (the unit points it at its EnvironmentFile). Undefined, and logged, when the
 * new settings are bad: the daemon then keeps running on the old ones.
 */
function reloadConfig(argv: string[], logger: DaemonLogger): Config | undefined {
  const file = process.env.PI_MESOS_ENV_FILE;
  let env: NodeJS.ProcessEnv = process.env;
  try {
    // --environment-file on the command line names the file itself; else the unit's PI_MESOS_ENV_FILE.
    env = environmentFor(argv.some((a) => a === '--environment-file' || a.startsWith('--environment-file=')) || !file ? argv : [...argv, '--environment-file', file], process.env);
  } catch (e) {
    logger.error(`SIGHUP: ${(e as Error).message}; keeping the current settings`);
    return undefined;
  }
  try {
    const next = loadConfig(argv, env);
    logger.setLevel(next.logLevel);
    return next;
  } catch (e) {
    logger.error(`SIGHUP: ${(e as Error).message}; keeping the current settings`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(helpText());
    return 0;
  }
  if (wantsVersion(argv)) {
    process.stdout.write(versionText() + '\n');
    return 0;
  }
  let config;
  let env: NodeJS.ProcessEnv;
  try {
    env = environmentFor(argv, process.env);
    config = loadConfig(argv, env);
  } catch (e) {
    if (e instanceof ConfigError) {
      writeFatal(e.message);
      return EX_CONFIG;
    }
    throw e;
  }
  // SIGHUP re-reads the file given with --environment-file.
  if (env.PI_MESOS_ENV_FILE) process.env.PI_MESOS_ENV_FILE = env.PI_MESOS_ENV_FILE;
  if (config.checkConfig) {
    const result = await preflight(config);
    process.stdout.write(describeConfig(config));
    for (const w of [...config.warnings, ...result.notes]) process.stderr.write(`pi-mesos: warning: ${w}\n`);
    for (const p of result.problems) writeFatal(p.message);
    return result.problems[0]?.exitCode ?? 0;
  }
  const logger = new DaemonLogger({ level: config.logLevel });
  logger.info(startLine(config));
  for (const w of config.warnings) logger.warn(w);
  // Logged with the whole stack, never rate-limited, then exit non-zero so systemd restarts us.
  process.on('uncaughtException', (e) => {
    logger.fatal('uncaught exception', e);
    logger.close();
    process.exit(EX_SOFTWARE);
  });
  process.on('unhandledRejection', (e) => {
    logger.fatal('unhandled rejection', e);
    logger.close();
    process.exit(EX_SOFTWARE);
  });

  const daemon = new Daemon(config, logger);
  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      logger.notice(`${why}: stopping`);
      await daemon.stop();
    })();
    return stopping;
  };
  // One turn of the event loop first: a signal that came while the daemon loaded reaches
  // early-signals' handlers (signals are dispatched in the poll phase, before setImmediate's).
  await new Promise((resolve) => setImmediate(resolve));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const early = takeEarlySignal();
  if (early) {
    // Asked to stop while it was loading: nothing started, nothing to save.
    logger.notice(`${early} during start-up: stopping before the start`);
    logger.close();
    return 0;
  }
  process.on('SIGHUP', () => void daemon.reloadDisplay(reloadConfig(argv, logger)));
  try {
    await daemon.start();
  } catch (e) {
    // Configuration problems: restarting would not help (the unit does not restart on 78).
    if (e instanceof LedgerMismatchError || e instanceof CredentialsError || e instanceof StateLockError) {
      logger.error(e.message);
      await daemon.stop();
      logger.close();
      return EX_CONFIG;
    }
    if (e instanceof StartupError) {
      logger.error(e.message);
      await daemon.stop();
      logger.close();
      return e.exitCode;
    }
    throw e;
  }
  const how = await daemon.finished;
  // Whatever ended the run (complete, teardown, fatal, a signal), the shutdown is the same one:
  // STOPPING=1, checkpoint, final frame, HTTP closed.
  const said: Record<RunEnd, string> = { complete: 'run complete', fatal: 'fatal error', teardown: 'framework torn down', stopped: 'stopped', 'nothing to tear down': 'done' };
  await stop(said[how]);
  logger.close();
  return how === 'fatal' ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    writeFatal(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exit(EX_SOFTWARE);
  },
);

/** The start-up line: what this run is, where, and as whom its tasks run on the agents. */
export function startLine(c: Config): string {
  if (c.master.kind === 'local') return `${versionText()} starting: local[${c.master.workers}], precision ${c.precision}, state in ${c.stateDir}`;
  const master = c.master.kind === 'zk' ? c.master.url : c.master.masters.join(',');
  const executor = c.executor.kind === 'fetch' ? `fetched, run by ${c.executorNode}` : `command:${c.executor.path}`;
  return `${versionText()} starting: master ${master}, role ${c.role}, tasks run as user ${c.user} on the agents, executor ${executor}, precision ${c.precision}, state in ${c.stateDir}`;
}
