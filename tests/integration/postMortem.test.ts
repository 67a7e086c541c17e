import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import type { DeathView } from '../../shared/postMortem.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { WsClient } from '../helpers/wsClient.js';

const hog = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/hogWorker.mjs');
const GB = 2 ** 30;

describe("a watchdog kill's post-mortem, from a real host", { timeout: 120_000 }, () => {
  it('keeps the climb to the limit, the figures at the moment and the reaction time; other ids are refused as data', async () => {
    // A hog that fills at 40 MB/s toward a 0.4 GB limit: the watchdog samples faster as it nears the line.
    const host = HostProcess.start(['--resurrect-delay', '30', '--interval', '0.5', '--ram-limit-subject', '0.4'], {
      env: { BRAIN_IN_JAR_WORKER_SCRIPT: hog, BIJ_HOG_BASE_MB: '60', BIJ_HOG_RATE_MBPS: '40', BIJ_HOG_MAX_MB: '1000' },
    });
    const client = await WsClient.connect((await host.waitFor('host.ready')).url);
    try {
      const kill = await host.waitFor('watchdog.kill', () => true, 60_000);
      const death = await host.waitFor('instance.death');
      assert.equal(death.cause, 'ram-limit');
      const summary = death.postMortem!;
      assert.equal(summary.reactionMs, kill.reactionMs, 'crossing -> SIGTERM, as the watchdog measured it');
      assert.equal(summary.limitBytes, 0.4 * GB);
      assert.ok(summary.memoryBytes! >= 0.4 * GB * 0.95, `it died near its limit (${summary.memoryBytes})`);

      const answer = await client.call('deaths.view', { id: summary.id });
      assert.ok(answer.ok, JSON.stringify(answer));
      const view = answer.result as DeathView;
      assert.deepEqual(
        { ...view, samples: undefined, windowMs: undefined },
        { ...summary, samples: undefined, windowMs: undefined },
      );
      const memory = view.samples.flatMap((sample) => (sample.memoryBytes === null ? [] : [sample.memoryBytes]));
      assert.ok(memory.length >= 10, `the climb was sampled (${memory.length} samples)`);
      const peak = Math.max(...memory);
      assert.ok(peak - memory[0]! > 100 * 2 ** 20, `the samples show the climb to the line (${memory.slice(-5)})`);
      assert.ok(summary.memoryBytes! >= peak * 0.95, 'the memory at death is the last it had, near its peak');
      const gaps = view.samples.slice(1).map((sample, index) => sample.t - view.samples[index]!.t);
      assert.ok(Math.min(...gaps) < 400, 'near the line the samples come faster than the 0.5 s interval');
      assert.ok(view.samples.every((sample) => sample.t <= death.at && sample.t >= death.at - 60_000));

      const missing = await client.call('deaths.view', { id: `${summary.id}0` });
      assert.deepEqual(missing.ok ? null : missing.error.code, 'NOT_FOUND');
      const wrong = await client.call('deaths.view', { id: 42 });
      assert.deepEqual(wrong.ok ? null : [wrong.error.code, wrong.error.field], ['INVALID_PARAMS', 'id']);
    } finally {
      client.close();
      await host.stop();
    }
  });
});
