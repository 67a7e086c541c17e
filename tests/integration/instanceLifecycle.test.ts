import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import type { InstanceState } from '../../shared/instances.js';
import type { Enforcement } from '../../electron/core/enforcement/enforcement.js';
import { InstanceLifecycle, type WorkerEnd } from '../../electron/core/instance/instanceLifecycle.js';
import type { Logger } from '../../electron/core/logger.js';

const hog = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'hogWorker.mjs');

/** No kernel limit: this test is about the process and its states, not the cgroup (tests/integration/watchdog has it). */
const noKernelLimit: Enforcement = {
  info: { kind: 'watchdog-only', label: 'watchdog only', reason: 'test' },
  wrapper: () => null,
  attach: () => ({ setLimit: () => undefined, oomKills: () => 0, release: () => undefined }),
};

function lifecycle(errors: string[]) {
  const log: Logger = {
    info: () => undefined,
    warn: () => undefined,
    error: (_source, message) => errors.push(message),
  };
  return new InstanceLifecycle({
    role: 'SUBJECT',
    log,
    backoff: { baseMs: 60_000, maxMs: 60_000, quickDeathMs: 30_000 },
    graceMs: () => 300,
    enforcement: noKernelLimit,
    limitBytes: () => 2 ** 30,
  });
}

describe('an instance lifecycle with a real worker process', () => {
  const saved = { ...process.env };
  after(() => {
    process.env = saved;
  });

  it('a shutdown while the watchdog is killing a worker that ignores SIGTERM waits for the SIGKILL; the death stands', async () => {
    process.env.BRAIN_IN_JAR_WORKER_SCRIPT = hog;
    process.env.BIJ_HOG_IGNORE_SIGTERM = '1';
    process.env.BIJ_HOG_BASE_MB = '8';
    const errors: string[] = [];
    const life = lifecycle(errors);
    const states: InstanceState[] = [];
    const ends: WorkerEnd[] = [];
    life.onState.on(({ state }) => states.push(state));
    life.onEnd.on((end) => ends.push(end));
    const loaded = new Promise<void>((resolve) =>
      life.onMessage.on((message) => message.kind === 'loaded' && resolve()),
    );
    life.spawn({
      kind: 'init',
      config: {
        instance: 'SUBJECT',
        modelPath: '/nonexistent-but-the-hog-loads-nothing.gguf',
        demo: false,
        deaths: 0,
        plan: { gpuLayers: 0, contextSize: 512, batchSize: 512, threads: 1, useMmap: true, useMlock: false },
        generation: { maxTokens: 8, temperature: 0.7, tokenBatchMs: 50 },
        memories: [],
      },
    });
    await loaded;
    const pid = life.pid!;
    let sigkilled = false;
    assert.equal(
      life.kill('ram-limit', 'SIGTERM', () => (sigkilled = true)),
      true,
    );
    const started = Date.now();
    await life.stop();
    assert.ok(sigkilled, 'the grace ran out and SIGKILL ended it');
    assert.ok(Date.now() - started >= 250, 'stop waited for the grace instead of cutting the kill short');
    assert.throws(() => process.kill(pid, 0), 'the worker is gone');
    assert.deepEqual(states, ['loading', 'dying', 'dead']);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.cause, 'ram-limit', 'the watchdog kill is still a death, not a stop');
    assert.deepEqual(errors, []);
    life.dispose();
  });
});
