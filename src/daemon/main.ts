#!/usr/bin/env node
import { ConfigError, describeConfig, EX_CONFIG, helpText, loadConfig, wantsHelp } from './config';
import { Daemon } from './daemon';
import { DaemonLogger } from '../common/log';
import { LedgerMismatchError } from '../framework/ledger';
import { CredentialsError } from '../mesos/credentials';

/** EX_SOFTWARE: an internal error; systemd restarts the service (Restart=on-failure). */
const EX_SOFTWARE = 70;

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
  process.on('SIGHUP', () => void daemon.reloadDisplay());
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
  if (how === 'complete') await stop('run complete');
  if (how === 'fatal') await stop('fatal error');
  await stopping;
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
