import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { testModels } from '../helpers/models.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The headless entry as the bin runs it (from source), with --json-events so that anything it announces is seen;
 * a refusal must come before the panel is served (no host.ready) and before any instance starts.
 */
function cli(args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'electron/headless.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A host that is not refused keeps running: stop it once it says it is ready, so the test sees the exit either way.
  child.stdout.on('data', () => {
    if (stdout.includes('"type":"host.ready"')) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** A run of the host: its own data folder, any free port, every event on stdout. */
const run = (args: string[], dataDir = tmpDir()) =>
  cli(['run', '--json-events', '--web-port', '0', '--data-dir', dataDir, ...args]);

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bij-cli-'));
}

function assertRefused(result: Exit, message: RegExp): void {
  assert.equal(result.code, 2, `exit ${result.code}\n${result.stderr}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stdout, /"type":"host\.ready"/, 'refused before the panel is served');
  assert.doesNotMatch(result.stdout, /"type":"instance\.state"/, 'refused before any instance starts');
}

describe('the command line refuses what cannot run, naming the flag, with exit code 2', { timeout: 180_000 }, () => {
  const models = testModels();

  it('refuses a model file a flag names that is missing, not a model or broken, before the data folder is touched', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--model', '/nonexistent.gguf'], /^brain-in-jar: --model: \/nonexistent\.gguf: no such file\./m],
      [['--model', '/etc/passwd'], /^brain-in-jar: --model: \/etc\/passwd: it is not a GGUF model/m],
      [['--model', models.directory], /^brain-in-jar: --model: \S+a-folder\.gguf: is a directory/m],
      [['--model', models.truncated], /^brain-in-jar: --model: \S+truncated\.gguf: .*past the end of the file/m],
      [['--model', models.headCountZero], /^brain-in-jar: --model: \S+: llama\.attention\.head_count is 0/m],
      // A role's own flag, even for a role single mode does not run: the operator typed it.
      [['--model', models.good, '--model-god', '/etc/passwd'], /^brain-in-jar: --model-god: \/etc\/passwd: /m],
    ];
    for (const [args, message] of cases) {
      const dataDir = tmpDir();
      assertRefused(await run(args, dataDir), message);
      assert.deepEqual(fs.readdirSync(dataDir), [], `${args.join(' ')}: nothing written to the data folder`);
    }
  });

  it('refuses RAM limits over this board, naming the flags, in run and in plan', async () => {
    const over = ['--ram-limit-subject', '1000', '--ram-limit-observer', '1500', '--ram-limit-god', '2000'];
    const message =
      /^brain-in-jar: --ram-limit-subject, --ram-limit-observer, --ram-limit-god, --mode: RAM limits total 4500\.0 GB; this board has/m;
    assertRefused(await run(['--mode', 'matrix', ...over]), message);
    assertRefused(await cli(['plan', '--model', models.good, '--mode', 'matrix', ...over]), message);
    // Single mode runs SUBJECT alone: its limit is the one named, the others are for a switch to matrix.
    assertRefused(
      await run(['--ram-limit-subject', '1000', '--ram-limit-god', '2000']),
      /^brain-in-jar: --ram-limit-subject: RAM limits total 1000\.0 GB/m,
    );
    assertRefused(await run(['--reserve', '4000']), /^brain-in-jar: --reserve: RAM limits total /m);
  });

  it('refuses limits over the board that a flag brings in with the saved ones: --mode matrix', async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ ramLimitsGb: { OBSERVER: 3000 } }));
    assertRefused(await run(['--mode', 'matrix'], dataDir), /^brain-in-jar: --mode: RAM limits total /m);
  });

  it('refuses a flag given twice and numbers that are not plain decimals, naming the flag', async () => {
    assertRefused(await run(['--mode', 'single', '--mode', 'matrix']), /^brain-in-jar: --mode given twice$/m);
    for (const number of ['0x10', '1e3', 'Infinity']) {
      assertRefused(
        await cli(['run', '--web-port', number]),
        new RegExp(
          `^brain-in-jar: --web-port must be a whole number between 0 and 65535 \\(got "${number}"\\); write numbers as plain decimals`,
          'm',
        ),
      );
    }
    assertRefused(await cli(['plan', '--model', models.good, '--context', '2e3']), /^brain-in-jar: --context must be/m);
  });

  it('starts where the flags can run: a good model, limits that fit', async () => {
    const result = await run(['--model', models.good, '--ram-limit-subject', '1', '--no-autostart']);
    assert.match(result.stdout, /"type":"host\.ready"/, result.stderr);
    // Stopped by the test once ready: a clean exit, or the signal itself if it came before the handler was set.
    assert.ok(result.code === 0 || result.signal === 'SIGTERM', `${result.code} ${result.signal}\n${result.stderr}`);
  });

  it('refuses flags that contradict each other: --warn-threshold 95 above the default thresholds', async () => {
    assertRefused(
      await run(['--warn-threshold', '95']),
      /^brain-in-jar: --warn-threshold: Warn level must be below the RAM threshold and the GPU threshold \(95% is not below 85%\)$/m,
    );
    assertRefused(
      await run(['--warn-threshold', '60', '--ram-threshold', '50']),
      /^brain-in-jar: --warn-threshold, --ram-threshold: Warn level must be below .*\(60% is not below 50%\)$/m,
    );
  });
});
