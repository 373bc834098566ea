'use strict';
// mocha's own "N passing" is not read by CI; this reporter keeps the spec output and ends the run
// with the plain line "N passed, N failed, N skipped", so a run that executed no test shows 0 passed.
const Mocha = require('mocha');
const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    runner.on(EVENT_TEST_PASS, () => { passed++; });
    runner.on(EVENT_TEST_FAIL, () => { failed++; });
    runner.on(EVENT_TEST_PENDING, () => { skipped++; });
    // Spec prints its epilogue on 'end' too; registering after super() puts this line last.
    runner.once(EVENT_RUN_END, () => {
      process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    });
  }
}

module.exports = SummaryReporter;
