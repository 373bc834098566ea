// Mutation testing with StrykerJS (`make mutation`, or `make mutation MODULE=pi`): not part of
// `npm test`. One module at a time, each with the fast unit tests that guard it, so a run fits a
// 2-core machine; incremental, so a rerun retests only mutants whose code or tests changed (the
// incremental files under test/mutation/ are committed for that reason).
import * as fs from 'fs';

const dist = (...names) => names.map((n) => `dist/test/${n}.test.js`);

/**
 * Lines `first`..end of the block that starts at the line matching `start` and closes at the
 * first later line equal to `close`: the display drivers' diff, by name, not by line numbers
 * that move with every edit above it.
 */
function block(file, start, close) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const from = lines.findIndex((l) => start.test(l));
  if (from < 0) throw new Error(`stryker.config.mjs: ${start} not found in ${file}`);
  const to = lines.findIndex((l, i) => i > from && l === close);
  return `${file}:${from + 1}-${to + 1}`;
}

const MODULES = {
  pi: {
    mutate: ['src/pi/**/*.ts', '!src/pi/index.ts'],
    spec: dist('pi/certify', 'pi/kernels', 'pi/merge', 'pi/guarantees', 'pi/edges', 'framework/ledger', 'framework/planner', 'framework/series-end', 'executor/task-codec'),
  },
  framework: {
    mutate: ['src/framework/**/*.ts'],
    spec: dist('framework/ledger', 'framework/planner', 'framework/checkpoint', 'framework/mesos-backend', 'framework/local-backend',
      'framework/order', 'framework/clock', 'framework/series-end', 'framework/units', 'framework/framework-rules', 'pi/guarantees',
      'framework/pi-framework', 'framework/local-mode', 'framework/mesos-backend-rules', 'framework/offer-resources',
      'framework/executor-identity', 'framework/ledger-rules'),
  },
  mesos: {
    mutate: ['src/mesos/recordio.ts', 'src/mesos/codec.ts', 'src/mesos/credentials.ts', 'src/mesos/scheduler.ts', 'src/mesos/executor.ts'],
    spec: dist('mesos/recordio', 'mesos/codec', 'mesos/edges', 'mesos/security', 'mesos/wire-facts', 'mesos/scheduler', 'mesos/scheduler-faults',
      'mesos/scheduler-answers', 'mesos/scheduler-events', 'mesos/zookeeper', 'mesos/executor', 'mesos/executor-client'),
  },
  display: {
    mutate: [
      block('src/display/oled-driver.ts', /^function ssdCost/, '}'),
      block('src/display/oled-driver.ts', /^export function changedWindows/, '}'),
      block('src/display/oled-driver.ts', /^ {2}async draw\(/, '  }'),
      block('src/display/lcd-driver.ts', /^ {2}async draw\(/, '  }'),
    ],
    spec: dist('display/diff-property', 'display/drivers', 'display/faults'),
  },
};

const moduleName = process.env.MODULE ?? 'pi';
const module = MODULES[moduleName];
if (!module) throw new Error(`MODULE=${moduleName}: one of ${Object.keys(MODULES).join(', ')}`);
// A part of a module: MUTATE=src/mesos/recordio.ts,… and SPEC=mesos/recordio,… (test names as above).
// Such a run keeps its own temp dir and incremental file (named after the part, under reports/),
// so it neither clobbers the module's committed results nor collides with another part's run.
let name = moduleName;
let incrementalFile = `test/mutation/${moduleName}.incremental.json`;
if (process.env.MUTATE) {
  module.mutate = process.env.MUTATE.split(',');
  name = `${moduleName}-${module.mutate.map((m) => m.replace(/^.*\//, '').replace(/\.ts.*$/, '')).join('+')}`;
  incrementalFile = `reports/mutation/${name}.incremental.json`;
}
if (process.env.SPEC) module.spec = dist(...process.env.SPEC.split(','));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  // The tests run compiled: the sandbox is built once with every mutant switched in.
  // The sandbox is a mkdtemp directory (0700): opened for the executors the test agents start as
  // the task user (nobody, as a root Mesos agent does), which could not even reach their script.
  buildCommand: 'npm run --silent mutation:build',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Not .mocharc.json: it names the whole suite. This one only sets the timeout.
  // Tests that spawn the daemon are left out: a child process never runs the active mutant.
  mochaOptions: { config: 'test/mutation/mocharc.json', spec: module.spec, grep: '^(?!.*the daemon).*$' },
  coverageAnalysis: 'perTest',
  mutate: module.mutate,
  ignorePatterns: ['dist', 'reports', 'test/out', 'test/mutation/*.incremental.json', '.stryker-tmp'],
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 10000,
  incremental: true,
  incrementalFile,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // One temp dir per module, so two modules can run side by side.
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: 'always',
};
