#!/usr/bin/env node
import { readEnvironmentFile } from './env-file';
import { packageVersion } from './executor-bundle';
import { Config, ConfigError, describeConfig, EX_CONFIG, helpText, loadConfig, wantsHelp } from './config';
import { Daemon } from './daemon';
import { DaemonLogger } from '../common/log';
import { LedgerMismatchError } from '../framework/ledger';
import { CredentialsError } from '../mesos/credentials';

/** EX_SOFTWARE: an internal error; systemd restarts the service (Restart=on-failure). */
const EX_SOFTWARE = 70;

/**
 * The configuration again, for SIGHUP: flags as started, the environment re-read from
 * PI_MESOS_ENV_FILE (the unit points it at its EnvironmentFile). Undefined, and logged, when the
 * new settings are bad: the daemon then keeps running on the old ones.
 */
function reloadConfig(argv: string[], logger: DaemonLogger): Config | undefined {
  const file = process.env.PI_MESOS_ENV_FILE;
  let env: NodeJS.ProcessEnv = process.env;
  if (file) {
    try {
      const fresh = readEnvironmentFile(file);
      env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PI_MESOS_') || k === 'PI_MESOS_ENV_FILE')), ...fresh };
    } catch (e) {
      logger.error(`SIGHUP: cannot read ${file}; keeping the current settings`, e);
      return undefined;
    }
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
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`pi-mesos: ${e.message}\n`);
      return EX_CONFIG;
    }
    throw e;
  }
  if (config.checkConfig) {
    process.stdout.write(describeConfig(config));
    return 0;
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
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => void daemon.reloadDisplay(reloadConfig(argv, logger)));
  try {
    await daemon.start();
  } catch (e) {
    // Both are configuration problems: restarting would not help (the unit does not restart on 78).
    if (e instanceof LedgerMismatchError || e instanceof CredentialsError) {
      logger.error(e.message);
      await daemon.stop();
      return EX_CONFIG;
    }
    throw e;
  }
  const how = await daemon.finished;
  // Whatever ended the run (complete, teardown, fatal, a signal), the shutdown is the same one:
  // STOPPING=1, checkpoint, final frame, HTTP closed.
  await stop({ complete: 'run complete', fatal: 'fatal error', teardown: 'framework torn down', stopped: 'stopped' }[how]);
  logger.close();
  return how === 'fatal' ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`pi-mesos: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(EX_SOFTWARE);
  },
);

/** The start-up line: what this run is, where, and as whom its tasks run on the agents. */
export function startLine(c: Config): string {
  if (c.master.kind === 'local') return `pi-mesos ${packageVersion()} starting: local[${c.master.workers}], precision ${c.precision}, state in ${c.stateDir}`;
  const master = c.master.kind === 'zk' ? c.master.url : c.master.masters.join(',');
  const executor = c.executor.kind === 'fetch' ? `fetched, run by ${c.executorNode}` : `command:${c.executor.path}`;
  return `pi-mesos ${packageVersion()} starting: master ${master}, role ${c.role}, tasks run as user ${c.user} on the agents, executor ${executor}, precision ${c.precision}, state in ${c.stateDir}`;
}
