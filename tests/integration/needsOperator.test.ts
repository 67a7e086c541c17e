import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { HostProcess } from '../helpers/hostProcess.js';
import { WsClient } from '../helpers/wsClient.js';

const hog = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/hogWorker.mjs');
/** What the real worker reports when the context cannot hold the prompts (electron/worker/mind.ts). */
const CONTEXT_TOO_SMALL =
  'The context (512 tokens) is too small for the system prompt: only 6 tokens would be left for a reflection. ' +
  'Plan a larger context.';

function hogHost(hogEnv: Record<string, string>): HostProcess {
  return HostProcess.start(['--resurrect-delay', '0.2'], { env: { BRAIN_IN_JAR_WORKER_SCRIPT: hog, ...hogEnv } });
}

const deathsFile = (host: HostProcess) => path.join(host.dataDir, 'deaths.json');
const recordedDeaths = (host: HostProcess) =>
  fs.existsSync(deathsFile(host))
    ? (JSON.parse(fs.readFileSync(deathsFile(host), 'utf8')) as Record<string, number>)
    : {};
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a failure that will happen again is not a death', { timeout: 60_000 }, () => {
  it('a think failure known to repeat stops the instance for the operator once, uncounted, until Start or a setting', async () => {
    const host = hogHost({ BIJ_HOG_THINK_FATAL: CONTEXT_TOO_SMALL });
    const client = await WsClient.connect((await host.waitFor('host.ready')).url);
    try {
      const blocked = await host.waitFor('instance.state', (event) => event.state === 'blocked');
      assert.match(blocked.detail ?? '', /context cannot hold/);
      const error = await host.waitFor('instance.error', (event) => event.error.code === 'NEEDS_OPERATOR');
      assert.match(error.error.message, /512 tokens/);
      assert.match(error.error.fix ?? '', /larger context/);
      // No retry by itself: one load, no death, the minds never told.
      await settle(1500);
      assert.equal(host.of('instance.loaded').length, 1);
      assert.equal(host.of('instance.death').length, 0);
      assert.equal(recordedDeaths(host).SUBJECT ?? 0, 0);
      const snapshot = await client.call('host.snapshot', {});
      assert.ok(snapshot.ok);
      const card = (snapshot.result as { instances: Array<{ state: string; deaths: number }> }).instances[0]!;
      assert.deepEqual([card.state, card.deaths], ['blocked', 0]);

      // A change of setting tries again (and fails the same way, still uncounted).
      let from = host.events.length;
      assert.ok((await client.call('settings.set', { thermalC: 90 })).ok);
      await host.waitFor('instance.loaded', () => true, 10_000, from);
      await host.waitFor('instance.state', (event) => event.state === 'blocked', 10_000, from);
      // So does Start.
      from = host.events.length;
      assert.ok((await client.call('instances.start', { instance: 'SUBJECT' })).ok);
      await host.waitFor('instance.loaded', () => true, 10_000, from);
      await host.waitFor('instance.state', (event) => event.state === 'blocked', 10_000, from);
      assert.equal(host.of('instance.death').length, 0);
      assert.equal(recordedDeaths(host).SUBJECT ?? 0, 0);
    } finally {
      client.close();
      await host.stop();
    }
  });

  it('a crash of unknown cause counts once; the same crash again before a first reflection stops it', async () => {
    const host = hogHost({ BIJ_HOG_ABORT_AT_LOAD: '1' });
    try {
      const death = await host.waitFor('instance.death');
      assert.equal(death.cause, 'load-failed');
      assert.equal(death.deaths, 1);
      const blocked = await host.waitFor('instance.state', (event) => event.state === 'blocked');
      assert.match(blocked.detail ?? '', /crashed the same way twice/);
      await settle(1500);
      assert.equal(host.of('instance.death').length, 1, 'the second crash is not a death');
      assert.equal(host.of('instance.state').filter((event) => event.state === 'loading').length, 2);
      assert.equal(recordedDeaths(host).SUBJECT, 1);
    } finally {
      await host.stop();
    }
  });
});
