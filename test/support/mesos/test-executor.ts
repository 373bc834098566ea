// A tiny executor for the tests, run by the test agent as a real process. Each task's `data` is a
// JSON instruction: {"mode":"finish","result":"<text>","delayMs":N} (RUNNING, then FINISHED with
// data = result), {"mode":"run"} (RUNNING until killed), {"mode":"fail"}, {"mode":"exit","code":N}
// (RUNNING, then the process exits), {"mode":"env"} (FINISHED with data = its environment's names, PATH, uid). MESSAGE events are echoed back with "echo:" in front.
// With "ignoreShutdown": true in any task, SHUTDOWN is ignored: the executor stays in the agent's
// terminating state until the agent kills it after its grace period.
import { ExecutorClient } from '../../../src/mesos/executor';
import type { Logger } from '../../../src/common/logger';
import type { TaskInfo } from '../../../src/mesos/types';

const stderrLogger: Logger = {
  error: (m, e) => process.stderr.write(`E ${m}${e instanceof Error ? `: ${e.message}` : ''}\n`),
  warn: (m) => process.stderr.write(`W ${m}\n`),
  notice: (m) => process.stderr.write(`N ${m}\n`),
  info: (m) => process.stderr.write(`I ${m}\n`),
  debug: (m) => process.stderr.write(`D ${m}\n`),
};

interface Instruction { mode?: string; result?: string; delayMs?: number; code?: number; ignoreShutdown?: boolean }

const client = new ExecutorClient({
  logger: stderrLogger,
  backoffInitialMs: 20,
  encoding: process.env.TEST_EXECUTOR_ENCODING === 'json' ? 'json' : 'protobuf',
});
const running = new Map<string, TaskInfo>();
let ignoreShutdown = false;
const timers = new Map<string, NodeJS.Timeout>();

function instruction(task: TaskInfo): Instruction {
  try {
    return task.data ? (JSON.parse(task.data.toString('utf8')) as Instruction) : {};
  } catch {
    return {};
  }
}

client.on('launch', (task) => {
  const id = task.task_id.value;
  const what = instruction(task);
  if (what.ignoreShutdown) ignoreShutdown = true;
  if (what.mode === 'env') {
    // What the agent gave us: variable names, PATH and our uid (for the differential test).
    const env = { names: Object.keys(process.env).sort(), PATH: process.env.PATH, uid: process.getuid?.() };
    client.update({ task_id: task.task_id, state: 'TASK_FINISHED', data: Buffer.from(JSON.stringify(env), 'utf8') });
    return;
  }
  if (what.mode === 'fail') {
    client.update({ task_id: task.task_id, state: 'TASK_FAILED', message: 'asked to fail' });
    return;
  }
  running.set(id, task);
  client.update({ task_id: task.task_id, state: 'TASK_RUNNING' });
  if (what.mode === 'exit') {
    setTimeout(() => process.exit(what.code ?? 3), what.delayMs ?? 50);
  } else if (what.mode === 'finish' || what.mode === undefined) {
    timers.set(id, setTimeout(() => {
      running.delete(id);
      timers.delete(id);
      client.update({ task_id: task.task_id, state: 'TASK_FINISHED', data: Buffer.from(what.result ?? '', 'utf8') });
    }, what.delayMs ?? 0));
  }
});

client.on('kill', (taskId) => {
  const id = taskId.value;
  const t = timers.get(id);
  if (t) clearTimeout(t);
  timers.delete(id);
  if (running.delete(id)) client.update({ task_id: taskId, state: 'TASK_KILLED' });
});

client.on('message', (data) => {
  client.message(Buffer.concat([Buffer.from('echo:'), data])).catch((err: Error) => stderrLogger.warn(err.message));
});

async function shutdown(code: number): Promise<void> {
  for (const [id, t] of timers) {
    clearTimeout(t);
    timers.delete(id);
  }
  for (const task of running.values()) client.update({ task_id: task.task_id, state: 'TASK_KILLED' });
  running.clear();
  const deadline = Date.now() + 1000;
  while (client.state.unacknowledgedUpdates > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await client.stop();
  process.exit(code);
}

client.on('shutdown', () => { if (!ignoreShutdown) void shutdown(0); });
client.on('give_up', () => process.exit(2));
process.on('SIGTERM', () => void shutdown(0));
client.start();
