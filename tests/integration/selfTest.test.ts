import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { SelfTestItem } from '../../electron/core/cli/selfTestVerdict.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hog = path.join(root, 'tests/helpers/hogWorker.mjs');

/** `brain-in-jar self-test` from source, as an operator runs it: a real host, the demo model, a temporary folder. */
function selfTest(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'electron/headless.ts', 'self-test', '--json', '--threads', '1', ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 150_000 },
  );
  const report = JSON.parse(result.stdout) as { ok: boolean; dataDir: string | null; items: SelfTestItem[] };
  const status = Object.fromEntries(report.items.map((one) => [one.id, one.status]));
  return { result, report, status };
}

describe('brain-in-jar self-test', { timeout: 320_000 }, () => {
  it("passes the original's checklist against a real host on this machine, the GPU items said not applicable", () => {
    const { result, report, status } = selfTest(['--minutes', '0.1']);
    const failed = report.items.filter((one) => one.status === 'fail');
    assert.equal(result.status, 0, `${result.stderr}${JSON.stringify(failed, null, 2)}`);
    assert.ok(report.ok);
    for (const id of ['host-starts', 'watchdog-line', 'panel', 'ram', 'no-epipe', 'no-crash', 'clean-stop']) {
      assert.equal(status[id], 'pass', `${id}: ${JSON.stringify(report.items.find((one) => one.id === id))}`);
    }
    // A machine with a GPU has something to say about them; this one (no GPU) says why not.
    for (const id of ['gpu-layers', 'gpu-memory']) assert.notEqual(status[id], 'fail', id);
    assert.match(report.items.find((one) => one.id === 'no-crash')!.figure, /SUBJECT \d+ reflections?/);
    assert.equal(report.dataDir, null, 'a passing run leaves no temporary folder behind');
  });

  it('fails, exit 1, when the worker crashes at every load, and keeps the logs to read', () => {
    // An abort at each load (as llama.cpp aborts on some files): the instance never thinks, however slow the machine.
    const { result, report, status } = selfTest(['--minutes', '0.05'], {
      BRAIN_IN_JAR_WORKER_SCRIPT: hog,
      BIJ_HOG_BASE_MB: '8',
      BIJ_HOG_ABORT_AT_LOAD: '1',
    });
    assert.equal(result.status, 1);
    assert.equal(status['no-crash'], 'fail');
    assert.match(report.items.find((one) => one.id === 'no-crash')!.figure, /SUBJECT never finished a reflection/);
    assert.equal(status['host-starts'], 'pass', 'the rest of the list is still checked');
    assert.ok(report.dataDir && fs.existsSync(path.join(report.dataDir, 'logs', 'watchdog.log')));
    fs.rmSync(report.dataDir, { recursive: true, force: true });
  });
});
