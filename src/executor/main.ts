#!/usr/bin/env node
import * as os from 'os';
import { DaemonLogger, parseLogLevel } from '../daemon/log';
import { ExecutorClient } from '../mesos/executor';
import { PiExecutor } from './pi-executor';
import { WorkerPool } from './worker-pool';

// pi-mesos-executor: started by a Mesos agent with the MESOS_* environment. Logs go to the
// sandbox's stderr file, where `mesos task log` and the agent's web UI show them.
function main(): void {
  const logger = new DaemonLogger({ level: parseLogLevel(process.env.PI_MESOS_LOG_LEVEL ?? 'info') ?? 'info', journal: false });
  let client: ExecutorClient;
  try {
    client = new ExecutorClient({ logger });
  } catch (e) {
    process.stderr.write(`pi-mesos-executor: ${(e as Error).message}\n`);
    process.exit(78);
  }
  const workers = Number(process.env.PI_MESOS_EXECUTOR_WORKERS) || (os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  const idleSeconds = Number(process.env.PI_MESOS_EXECUTOR_IDLE_SECONDS ?? 300);
  const pool = new WorkerPool(workers);
  const executor = new PiExecutor(client, pool, {
    logger,
    idleExitMs: idleSeconds * 1000,
    onExit: (code) => process.exit(code),
  });
  process.on('SIGTERM', () => void executor.shutdown('SIGTERM'));
  logger.info(`pi-mesos-executor ${client.environment.executorId} for framework ${client.environment.frameworkId}, ${workers} workers`);
  executor.start();
}

main();
