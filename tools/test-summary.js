#!/usr/bin/env node
// Prints one closing line for the whole `make test` run from the runners' result files:
// "tests: N passed, M failed" (jest JSON for unit and integration, pytest JUnit XML, the
// current-ClickHouse compatibility corpus).
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.argv[2];
let passed = 0;
let failed = 0;
for (const f of ['unit.json', 'integration.json']) {
  const p = join(dir, f);
  if (!existsSync(p)) continue;
  const r = JSON.parse(readFileSync(p, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
}
const xml = join(dir, 'trainer.xml');
if (existsSync(xml)) {
  const m = /<testsuite [^>]*\btests="(\d+)"[^>]*/.exec(readFileSync(xml, 'utf8'));
  if (m) {
    const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(m[0])?.[1] ?? 0);
    const bad = attr('failures') + attr('errors');
    passed += attr('tests') - bad - attr('skipped');
    failed += bad;
  }
}
const compat = join(dir, 'compat.txt');
if (existsSync(compat)) {
  const m = /compat: (\d+) passed, (\d+) failed/.exec(readFileSync(compat, 'utf8'));
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
}
process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
