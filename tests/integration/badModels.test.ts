import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { WsClient } from '../helpers/wsClient.js';

describe('bad model files never reach llama.cpp', { timeout: 180_000 }, () => {
  const models = testModels();
  const refused: Array<[keyof typeof models, RegExp]> = [
    ['missing', /no such file/],
    ['directory', /is a directory/],
    ['notGguf', /not a GGUF model/],
    ['truncated', /past the end of the file/],
    ['headCountZero', /llama\.attention\.head_count is 0/],
    ['unknownArchitecture', /general\.architecture 'jarbrain' is not one that llama\.cpp .* can load/],
  ];

  for (const [kind, reason] of refused) {
    // Named by a flag, the command line is refused before anything starts (cliRefusals.test.ts); saved in
    // settings.json, the host starts and says why on the card, so the operator can choose another in the panel.
    it(`refuses a ${kind} file saved in settings.json with the file and the reason, spawns nothing, and stays up`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-data-'));
      fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ models: { SUBJECT: models[kind] } }));
      const host = HostProcess.start([], { dataDir });
      try {
        const error = await host.waitFor('instance.error');
        assert.equal(error.instance, 'SUBJECT');
        assert.equal(error.error.code, 'MODEL_INVALID');
        assert.ok(error.error.message.includes(path.resolve(models[kind])), error.error.message);
        assert.match(error.error.message, reason);
        const stopped = await host.waitFor('instance.state', (event) => event.state === 'stopped');
        assert.equal(stopped.pid, null);
        assert.equal(host.of('instance.state').filter((event) => event.state === 'loading').length, 0);
        assert.equal(host.of('instance.death').length, 0, 'a refused file is not a death');

        // The panel is still there and answers, with the same refusal, when asked to start again.
        const client = await WsClient.connect((await host.waitFor('host.ready')).url);
        const start = await client.call('instances.start', { instance: 'SUBJECT' });
        assert.ok(!start.ok && start.error.code === 'MODEL_INVALID');
        assert.match(start.error.message, reason);
        const check = await client.call('models.check', { path: models.good });
        assert.ok(check.ok, 'a good file checks fine');
        client.close();
        assert.equal(host.exited, null);
      } finally {
        await host.stop();
      }
    });
  }

  it('shows the reason llama.cpp logged when the load fails, and does not retry a failure that would repeat', async () => {
    const host = HostProcess.start(['--model', models.rejectedByLlama, '--resurrect-delay', '0.3']);
    try {
      const error = await host.waitFor('instance.error', (event) => event.error.code === 'NEEDS_OPERATOR');
      assert.match(
        error.error.message,
        /^llama\.cpp refused the model file's contents: .*invalid n_rot: 16, expected 8/,
      );
      assert.match(error.error.fix ?? '', /convert the model again/);
      await host.waitFor('instance.state', (event) => event.state === 'blocked');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(host.of('instance.death').length, 0, 'not a death: the mind is never told of it');
      assert.equal(host.of('instance.state').filter((event) => event.state === 'resurrecting').length, 0);
      assert.equal(host.exited, null, 'the host stays up');
    } finally {
      await host.stop();
    }
  });

  it('backs off quick deaths: each doubles the pause before the next life', async () => {
    // A worker that crashes after each first reflection: a death every time, never the same crash before one.
    const hog = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/hogWorker.mjs');
    const host = HostProcess.start(['--resurrect-delay', '0.3'], {
      env: { BRAIN_IN_JAR_WORKER_SCRIPT: hog, BIJ_HOG_ABORT_AFTER_THINK: '1' },
    });
    try {
      const deaths = await host.waitUntil(() => {
        const all = host.of('instance.death');
        return all.length >= 3 ? all : undefined;
      }, 'three quick deaths');
      for (const death of deaths) assert.equal(death.cause, 'crash');
      // Each quick death doubles the pause: 0.3 s, 0.6 s, 1.2 s, measured from the death to the next spawn.
      const planned = deaths.map((death) => (death.resurrectAt! - host.arrivalOf(death)) / 1000);
      const resurrections = host.of('instance.state').filter((event) => event.state === 'resurrecting');
      const measured = deaths.slice(0, 2).map((death, index) => {
        return (host.arrivalOf(resurrections[index]!) - host.arrivalOf(death)) / 1000;
      });
      [0.3, 0.6, 1.2].forEach((expected, index) => {
        assert.ok(Math.abs(planned[index]! - expected) < 0.15, `planned pause ${index}: ${planned[index]} s`);
      });
      [0.3, 0.6].forEach((expected, index) => {
        assert.ok(
          measured[index]! >= expected - 0.05 && measured[index]! < expected + 0.5,
          `pause ${index}: ${measured[index]} s`,
        );
      });
      assert.equal(host.exited, null, 'the host stays up');
    } finally {
      await host.stop();
    }
  });
});
