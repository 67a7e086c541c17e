import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';

import type { TranscriptRecord } from '../../shared/transcript.js';
import { HostProcess, isAlive } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';

describe('single mode with a real worker and a generated model', { timeout: 120_000 }, () => {
  const models = testModels();
  const host = HostProcess.start(['--model', models.good, '--resurrect-delay', '0.5']);
  after(() => host.stop());

  it('announces where the panel is, with a token', async () => {
    const ready = await host.waitFor('host.ready');
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('loads the model in a worker process of its own and streams its tokens', async () => {
    const loading = await host.waitFor('instance.state', (event) => event.state === 'loading');
    assert.equal(loading.instance, 'SUBJECT');
    assert.ok(loading.pid && loading.pid !== host.pid, 'the worker is its own process');
    const loaded = await host.waitFor('instance.loaded');
    assert.equal(loaded.load.backend, 'cpu');
    assert.equal(loaded.load.gpuLayers, 0);
    assert.equal(loaded.load.threads, 1);
    const tokens = await host.waitFor('instance.tokens', (event) => event.text.trim().length > 0);
    assert.equal(tokens.instance, 'SUBJECT');
    assert.ok(tokens.tokens > 0);
    // The demo vocabulary is words: what streams is readable text, not raw bytes.
    assert.match(tokens.text, /[a-z]{2,}/);
  });

  it('writes each finished reflection to the transcript before it asks for the next', async () => {
    const first = await host.waitFor('instance.reflection', (event) => event.record.n === 1);
    const written = host.of('transcript.written').find((event) => event.kind === 'reflection');
    assert.ok(written, 'the reflection was reported written');
    const lines = fs.readFileSync(written.file, 'utf8').trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as TranscriptRecord);
    const onDisk = records.find((record) => record.kind === 'reflection' && record.n === 1);
    assert.ok(onDisk && onDisk.kind === 'reflection');
    assert.equal(onDisk.text, first.record.text);
    // Reflection 2 was asked for only after reflection 1's line was written.
    const writtenIndex = host.events.indexOf(written);
    const secondTokens = host.events.findIndex((event) => event.type === 'instance.tokens' && event.n === 2);
    assert.ok(secondTokens === -1 || secondTokens > writtenIndex);
  });

  it('records an outside SIGKILL as a death and resurrects the mind, told it died once', async () => {
    const firstLife = await host.waitFor('instance.life');
    assert.match(firstLife.systemPrompt, /You have not died yet/);
    const { pid } = await host.waitFor('instance.loaded');
    process.kill(pid, 'SIGKILL');

    const death = await host.waitFor('instance.death');
    assert.equal(death.instance, 'SUBJECT');
    assert.equal(death.cause, 'signal');
    assert.equal(death.signal, 'SIGKILL');
    assert.equal(death.deaths, 1);
    assert.equal(death.pid, pid);
    assert.ok(death.resurrectAt !== null);

    await host.waitFor('instance.state', (event) => event.state === 'dead');
    await host.waitFor('instance.state', (event) => event.state === 'resurrecting');
    const secondLife = await host.waitFor('instance.life', (event) => event.deaths === 1);
    assert.match(secondLife.systemPrompt, /You have died 1 time\b/);
    assert.ok(secondLife.memories > 0, 'the resurrected mind remembers what it thought before it died');
    const reloaded = await host.waitFor('instance.loaded', (event) => event.pid !== pid);
    assert.ok(!isAlive(pid));
    const deathIndex = host.events.indexOf(death);
    await host.waitFor('instance.tokens', () => true, 30_000, deathIndex);
    assert.notEqual(reloaded.pid, pid);
  });

  it('keeps the death, its cause and the new life in the transcript and the crash report log', async () => {
    const file = host.of('transcript.written')[0]!.file;
    const records = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TranscriptRecord);
    const death = records.find((record) => record.kind === 'death');
    assert.ok(death && death.kind === 'death');
    assert.equal(death.cause, 'signal');
    assert.equal(death.deaths, 1);
    const lives = records.filter((record) => record.kind === 'life');
    assert.ok(lives.length >= 2);
    assert.ok(records.indexOf(death) < records.indexOf(lives[1]!), 'the death is written before the next life');
    const crashLog = fs.readFileSync(`${host.dataDir}/logs/crash_reports.log`, 'utf8');
    assert.match(crashLog, /^\S+ - CRASH #1: SIGNAL SUBJECT pid=\d+ signal=SIGKILL/m);
  });
});
