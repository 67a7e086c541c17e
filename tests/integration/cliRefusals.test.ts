import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Exit {
  code: number | null;
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
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
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
  it('refuses flags that contradict each other: --warn-threshold 95 above the default thresholds', async () => {
    assertRefused(
      await run(['--warn-threshold', '95']),
      /^brain-in-jar: --warn-threshold: warnThreshold must be below the RAM and GPU thresholds \(95% is not below 85%\)$/m,
    );
    assertRefused(
      await run(['--warn-threshold', '60', '--ram-threshold', '50']),
      /^brain-in-jar: --warn-threshold, --ram-threshold: warnThreshold must be below .*\(60% is not below 50%\)$/m,
    );
  });
});
