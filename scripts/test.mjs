// Runs the test tiers with Node's own test runner, one file at a time (two cores: the integration and end-to-end
// tests start real worker processes and Chromium). Usage: node scripts/test.mjs [unit|integration|e2e ...]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tiers = ['unit', 'integration', 'e2e'];
const selected = process.argv.slice(2).length > 0 ? process.argv.slice(2) : tiers;
for (const tier of selected) {
  if (!tiers.includes(tier)) {
    process.stderr.write(`test: unknown tier "${tier}" (one of ${tiers.join(', ')})\n`);
    process.exit(2);
  }
}

const files = selected.flatMap((tier) =>
  fs
    .readdirSync(path.join(root, 'tests', tier), { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => path.join('tests', tier, name)),
);
if (files.length === 0) {
  process.stderr.write('test: no test files found\n');
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
