import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { nextStreak, resurrectionDelay, type BackoffPolicy } from '../../electron/core/instance/backoff.js';
import { classifyExit, exitVerdict } from '../../electron/core/instance/deathCause.js';
import { failureKind } from '../../shared/failures.js';
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

describe('a death, or a failure that needs the operator', () => {
  const base = { failure: null, signature: 'crash: x', previous: null, reflected: false } as const;

  it('is never the operator’s business when someone or something ended the worker: those are deaths', () => {
    for (const cause of ['signal', 'killed', 'ram-limit', 'ram-threshold', 'gpu-threshold', 'kernel-oom'] as const) {
      assert.deepEqual(exitVerdict({ ...base, cause, failure: 'context-too-small' }), { kind: 'death' }, cause);
    }
  });

  it('stops the instance, uncounted, for a failure the worker knows will repeat, even the first time', () => {
    assert.deepEqual(exitVerdict({ ...base, cause: 'crash', failure: 'context-too-small' }), {
      kind: 'blocked',
      failure: 'context-too-small',
    });
    assert.deepEqual(exitVerdict({ ...base, cause: 'load-failed', failure: 'unknown-architecture' }), {
      kind: 'blocked',
      failure: 'unknown-architecture',
    });
  });

  it('counts an unknown crash once, and stops on the same one again before a first reflection', () => {
    assert.deepEqual(exitVerdict({ ...base, cause: 'crash' }), { kind: 'death' });
    assert.deepEqual(exitVerdict({ ...base, cause: 'crash', previous: 'crash: x' }), {
      kind: 'blocked',
      failure: 'repeated-crash',
    });
    assert.deepEqual(exitVerdict({ ...base, cause: 'crash', previous: 'crash: y' }), { kind: 'death' });
    assert.deepEqual(exitVerdict({ ...base, cause: 'crash', previous: 'crash: x', reflected: true }), {
      kind: 'death',
    });
  });

  it('reads the kind of a failure from what llama.cpp and the worker say', () => {
    assert.equal(
      failureKind('The context (512 tokens) is too small for the system prompt: only 6 tokens would be left'),
      'context-too-small',
    );
    assert.equal(
      failureKind("Failed to load the model: llama_model_load: error loading model: unknown model architecture: 'xyz'"),
      'unknown-architecture',
    );
    assert.equal(
      failureKind('llama_model_load: error loading model: missing tensor blk.0.attn_q.weight'),
      'bad-tensor',
    );
    assert.equal(failureKind('ENOENT: no such file or directory, open /m/x.gguf'), 'file-gone');
    assert.equal(failureKind('Segmentation fault'), null);
  });
});
