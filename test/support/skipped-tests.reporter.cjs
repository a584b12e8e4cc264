// Lists every skipped test of a run with its reason (the suites put it in the title, see
// test/support/skip.ts), so a run on a machine without Postgres or Redis says what it left out.
class SkippedTestsReporter {
  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
          const path = file.testFilePath.replace(`${process.cwd()}/`, '');
          skipped.push(`  - ${path} › ${test.fullName}`);
        }
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(`\nSkipped ${skipped.length} test(s):\n${skipped.join('\n')}\n`);
  }
}

module.exports = SkippedTestsReporter;
