import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { LastResort } from '../../electron/core/lastResort.js';
import type { Logger } from '../../electron/core/logger.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A process that installs the last resort, then throws in a timer, rejects unawaited and emits an unheard error. */
const SCRIPT = `
import { EventEmitter } from 'node:events';
import { lastResort } from './electron/core/lastResort.ts';
const lines = [];
lastResort.install();
lastResort.attach({ info() {}, warn() {}, error: (source, message) => lines.push(source + ': ' + message) });
setTimeout(() => { throw new Error('thrown in a timer'); }, 1);
setTimeout(() => { void Promise.reject(new Error('rejected, never awaited')); }, 5);
setTimeout(() => new EventEmitter().emit('error', new Error('an error event nobody hears')), 10);
let ticks = 0;
const interval = setInterval(() => ticks++, 5);
setTimeout(() => {
  clearInterval(interval);
  process.stdout.write(JSON.stringify({ caught: lastResort.caught, lines, ticks }));
}, 200);
`;

describe('the last resort', () => {
  it('keeps the process (and its timers) alive through a throw, a rejection and an unheard error, counting them', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      cwd: root,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const { caught, lines, ticks } = JSON.parse(run.stdout) as { caught: number; lines: string[]; ticks: number };
    assert.equal(caught, 3);
    assert.equal(lines.length, 3);
    assert.match(
      lines[0]!,
      /^host: caught an uncaught exception \(1 since start; the host goes on\): Error: thrown in a timer/,
    );
    assert.match(lines[1]!, /^host: caught an unhandled rejection \(2 since start.*rejected, never awaited/);
    assert.match(lines[2]!, /an error event nobody hears/);
    assert.ok(ticks > 10, `the process went on ticking (${ticks})`);
  });

  it('logs at most 20 lines a minute, and counts every catch', () => {
    const lines: string[] = [];
    const log: Logger = { info() {}, warn() {}, error: (_source, message) => lines.push(message) };
    const resort = new LastResort();
    resort.attach(log);
    for (let i = 0; i < 50; i++) resort.note('web', 'a request', new Error(`bug ${i}`), 1000);
    assert.equal(resort.caught, 50);
    assert.equal(lines.length, 20);
    resort.note('web', 'a request', 'a thrown string', 61_000);
    assert.equal(lines.length, 21, 'a new minute logs again');
    assert.match(lines.at(-1)!, /a thrown string: a thrown string/);
  });
});
