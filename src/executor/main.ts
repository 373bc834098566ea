#!/usr/bin/env node
import { DaemonLogger, parseLogLevel } from '../common/log';
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
  // The agent's own setting (its --executor_environment_variables) wins over the framework's
  // default, which the daemon sends in CommandInfo.environment.
  const env = process.env;
  const setting = (name: string, def: string): string => [env[name], env[`${name}_DEFAULT`]].find((v) => v !== undefined && v !== '') ?? def;
  const idleSeconds = Number(setting('PI_MESOS_EXECUTOR_IDLE_SECONDS', '300'));
  const dutyText = setting('PI_MESOS_EXECUTOR_DUTY', '1');
  const duty = Number(dutyText);
  if (!(duty > 0 && duty <= 1)) {
    process.stderr.write(`pi-mesos-executor: executor duty ${dutyText} (PI_MESOS_EXECUTOR_DUTY) is not in (0, 1]\n`);
    process.exit(78);
  }
  if (!(idleSeconds >= 0)) {
    process.stderr.write(`pi-mesos-executor: PI_MESOS_EXECUTOR_IDLE_SECONDS is not a number of seconds\n`);
    process.exit(78);
  }
  // Starts with one thread and grows to as many tasks as the agent runs at once.
  const pool = new WorkerPool(1, { duty });
  const executor = new PiExecutor(client, pool, {
    logger,
    idleExitMs: idleSeconds * 1000,
    onExit: (code) => process.exit(code),
  });
  process.on('SIGTERM', () => void executor.shutdown('SIGTERM'));
  logger.info(`pi-mesos-executor ${env.PI_MESOS_VERSION ?? ''} ${client.environment.executorId} for framework ${client.environment.frameworkId}, idle exit ${idleSeconds} s${duty < 1 ? `, duty ${duty}` : ''}`);
  executor.start();
}

main();
