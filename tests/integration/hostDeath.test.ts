import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import type { TranscriptRecord } from '../../shared/transcript.js';
import { HostProcess, isAlive, waitForProcessGone } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';

describe('when the host itself dies', { timeout: 120_000 }, () => {
  const models = testModels();

  it('leaves no worker alive after 2 s: no orphan holds model memory', async () => {
    const host = HostProcess.start(['--mode', 'matrix', '--model', models.good]);
    try {
      await host.waitUntil(() => (host.of('instance.loaded').length === 3 ? true : undefined), 'three workers');
      const workers = host.of('instance.loaded').map((event) => event.pid);
      for (const pid of workers) assert.ok(isAlive(pid), `worker ${pid} runs before the kill`);
      const killedAt = Date.now();
      host.child.kill('SIGKILL');
      // Watched from here for longer than the 2 s allowed, so that a slow exit fails on its figure below.
      const goneAt = await Promise.all(workers.map((pid) => waitForProcessGone(pid, 5000)));
      for (const [index, at] of goneAt.entries()) {
        assert.ok(at - killedAt < 2000, `worker ${workers[index]} lived ${at - killedAt} ms after its host`);
      }
    } finally {
      await host.stop();
    }
  });

  it('a kill -9 mid-stream loses no record the host reported written, and the file parses to the end', async () => {
    const host = HostProcess.start(['--model', models.good, '--max-tokens', '24']);
    try {
      // Let several reflections land, then kill while tokens are streaming.
      await host.waitUntil(
        () =>
          host.of('transcript.written').filter((event) => event.kind === 'reflection').length >= 5 ? true : undefined,
        'five written reflections',
      );
      const streaming = host.events.length;
      await host.waitFor('instance.tokens', () => true, 10_000, streaming);
      host.child.kill('SIGKILL');
      await host.waitUntil(() => (host.exited ? true : undefined), 'the host to die');

      const reported = host.of('transcript.written');
      const file = reported[0]!.file;
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.endsWith('\n'), 'the last line is whole');
      const records = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as TranscriptRecord);
      for (const written of reported) {
        const record = records[written.line - 1];
        assert.ok(record, `line ${written.line} (${written.kind}) is in the file`);
        assert.equal(record.kind, written.kind);
      }
      const reflections = host.of('instance.reflection');
      for (const { record } of reflections) {
        const onDisk = records.find((line) => line.kind === 'reflection' && line.n === record.n);
        assert.ok(onDisk && onDisk.kind === 'reflection' && onDisk.text === record.text, `reflection ${record.n}`);
      }
    } finally {
      await host.stop();
    }
  });

  it('keeps the death count across a restart, and the mind remembers its earlier thoughts', async () => {
    const first = HostProcess.start(['--model', models.good, '--resurrect-delay', '0.2']);
    try {
      const { pid } = await first.waitFor('instance.loaded');
      await first.waitFor('instance.reflection');
      process.kill(pid, 'SIGKILL');
      await first.waitFor('instance.death');
      await first.waitFor('instance.life', (event) => event.deaths === 1);
      await first.stop();
      assert.equal(first.of('instance.death').length, 1, 'a graceful stop is not a death');
    } finally {
      await first.stop();
    }
    const second = HostProcess.start(['--model', models.good], { dataDir: first.dataDir });
    try {
      const life = await second.waitFor('instance.life');
      assert.equal(life.deaths, 1);
      assert.match(life.systemPrompt, /You have died 1 time\b/);
      const thoughtBefore = first.of('instance.reflection').filter((event) => event.record.text.trim() !== '').length;
      assert.equal(life.memories, Math.min(20, thoughtBefore), 'it starts with the thoughts of the last session');
    } finally {
      await second.stop();
    }
  });
});
