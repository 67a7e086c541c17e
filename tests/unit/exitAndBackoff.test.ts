import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { nextStreak, resurrectionDelay, type BackoffPolicy } from '../../electron/core/instance/backoff.js';
import { classifyExit } from '../../electron/core/instance/deathCause.js';
import { EXIT_LOAD_FAILED } from '../../electron/worker/protocol.js';

describe('resurrection back-off', () => {
  const policy: BackoffPolicy = { baseMs: 3000, maxMs: 60_000, quickDeathMs: 30_000 };

  it('waits the base pause after a death that followed a long life', () => {
    const streak = nextStreak(0, 120_000, policy);
    assert.equal(streak, 0);
    assert.equal(resurrectionDelay(streak, policy), 3000);
  });

  it('doubles for every quick death in a row, up to the ceiling', () => {
    let streak = 0;
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      streak = nextStreak(streak, 500, policy);
      delays.push(resurrectionDelay(streak, policy));
    }
    assert.deepEqual(delays, [3000, 6000, 12_000, 24_000, 48_000, 60_000, 60_000]);
  });

  it('forgets the streak after one long life', () => {
    assert.equal(nextStreak(5, 45_000, policy), 0);
  });
});

describe('cause of a worker exit', () => {
  const base = { request: null, code: null, signal: null, loaded: true, oomKilled: false };

  it('is no death at all when the host asked it to stop', () => {
    assert.equal(classifyExit({ ...base, request: { kind: 'stop' }, code: 0 }), null);
    assert.equal(classifyExit({ ...base, request: { kind: 'stop' }, signal: 'SIGKILL' }), null);
  });

  it('is the reason the host gave when the host killed it', () => {
    assert.equal(classifyExit({ ...base, request: { kind: 'kill', cause: 'killed' }, signal: 'SIGKILL' }), 'killed');
    assert.equal(
      classifyExit({ ...base, request: { kind: 'kill', cause: 'ram-limit' }, signal: 'SIGTERM' }),
      'ram-limit',
    );
  });

  it('tells a signal from outside apart from a crash', () => {
    assert.equal(classifyExit({ ...base, signal: 'SIGKILL' }), 'signal');
    assert.equal(classifyExit({ ...base, signal: 'SIGTERM' }), 'signal');
    assert.equal(classifyExit({ ...base, signal: 'SIGABRT' }), 'crash');
    assert.equal(classifyExit({ ...base, signal: 'SIGSEGV' }), 'crash');
    assert.equal(classifyExit({ ...base, code: 1 }), 'crash');
    assert.equal(classifyExit({ ...base, code: 0 }), 'crash');
  });

  it('is a failed load for any death before the model reported loaded', () => {
    assert.equal(classifyExit({ ...base, loaded: false, signal: 'SIGABRT' }), 'load-failed');
    assert.equal(classifyExit({ ...base, loaded: false, code: EXIT_LOAD_FAILED }), 'load-failed');
  });

  it('is the kernel when its OOM killer ended the worker', () => {
    assert.equal(classifyExit({ ...base, signal: 'SIGKILL', oomKilled: true }), 'kernel-oom');
  });
});
