import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';

import type { TranscriptRecord } from '../../shared/transcript.js';
import { HostProcess, isAlive } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { WsClient } from '../helpers/wsClient.js';

describe('matrix mode: SUBJECT, OBSERVER and GOD as three supervised instances', { timeout: 240_000 }, () => {
  const models = testModels();
  let host: HostProcess;
  let client: WsClient;
  before(async () => {
    host = HostProcess.start(['--mode', 'matrix', '--model', models.good, '--resurrect-delay', '0.5']);
    client = await WsClient.connect((await host.waitFor('host.ready')).url);
  });
  after(async () => {
    client.close();
    await host.stop();
  });

  it('admits one load at a time: the next begins only after the previous has loaded', async () => {
    await host.waitUntil(() => (host.of('instance.loaded').length >= 3 ? true : undefined), 'three loaded', 90_000);
    const at = (role: string, state: string) =>
      host.events.findIndex(
        (event) => event.type === 'instance.state' && event.instance === role && event.state === state,
      );
    assert.ok(at('SUBJECT', 'thinking') < at('OBSERVER', 'loading'), 'OBSERVER loads after SUBJECT has loaded');
    assert.ok(at('OBSERVER', 'thinking') < at('GOD', 'loading'), 'GOD loads after OBSERVER has loaded');
    const held = host.of('instance.held').filter((event) => event.reason !== null);
    assert.ok(
      held.some((event) => event.instance === 'GOD' && /^(SUBJECT|OBSERVER) is still loading$/.test(event.reason!)),
    );
  });

  it('shows OBSERVER the SUBJECT text it was given, and records it with its reflection', async () => {
    const seen = await host.waitFor(
      'instance.reflection',
      (event) => event.instance === 'OBSERVER' && (event.record.shown?.[0]?.reflections.length ?? 0) > 0,
      60_000,
    );
    const shown = seen.record.shown![0]!;
    assert.equal(shown.instance, 'SUBJECT');
    const subjectTexts = host
      .of('instance.reflection')
      .filter((event) => event.instance === 'SUBJECT')
      .map((event) => event.record.text);
    for (const reflection of shown.reflections)
      assert.ok(subjectTexts.includes(reflection.text), `SUBJECT #${reflection.n} was really thought`);
    assert.match(seen.record.prompt!, /SUBJECT has not died yet\. Its latest thoughts?: "/);
    // On disk, in OBSERVER's own transcript: the chain of observation can be read back.
    const file = host.of('transcript.written').find((event) => event.instance === 'OBSERVER')!.file;
    const records = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TranscriptRecord);
    const onDisk = records.find((record) => record.kind === 'reflection' && record.n === seen.record.n);
    assert.ok(onDisk && onDisk.kind === 'reflection');
    assert.deepEqual(onDisk.shown, seen.record.shown);
    const god = await host.waitFor(
      'instance.reflection',
      (event) => event.instance === 'GOD' && (event.record.shown?.length ?? 0) === 2,
      60_000,
    );
    assert.deepEqual(
      god.record.shown!.map((observation) => observation.instance),
      ['SUBJECT', 'OBSERVER'],
    );
  });

  it("when SUBJECT is killed, the watchers keep their PIDs, are told, and their next prompts carry SUBJECT's new count", async () => {
    const pid = (role: string) =>
      host
        .of('instance.loaded')
        .filter((event) => event.instance === role)
        .at(-1)!.pid;
    const observer = pid('OBSERVER');
    const god = pid('GOD');
    const from = host.events.length;
    process.kill(pid('SUBJECT'), 'SIGKILL');
    const death = await host.waitFor('instance.death', () => true, 10_000, from);
    assert.equal(death.instance, 'SUBJECT');
    for (const watcher of ['OBSERVER', 'GOD']) {
      const told = await host.waitFor('instance.told', (event) => event.instance === watcher, 30_000, from);
      assert.equal(told.about, 'SUBJECT');
      assert.match(told.message, /SUBJECT has just died: someone outside killed it\. It has now died 1 time\./);
      const next = await host.waitFor(
        'instance.reflection',
        (event) => event.instance === watcher,
        30_000,
        host.events.indexOf(told),
      );
      assert.equal(next.record.shown![0]!.deaths, 1);
      assert.match(next.record.prompt!, /SUBJECT has died 1 time\./);
    }
    assert.ok(isAlive(observer) && isAlive(god));
    assert.equal(pid('OBSERVER'), observer);
    assert.equal(pid('GOD'), god);
    assert.equal(host.of('instance.death').filter((event) => event.instance !== 'SUBJECT').length, 0);
  });

  it('switches to single mode and back, live, from the api', async () => {
    const from = host.events.length;
    const single = await client.call('mode.switch', { mode: 'single' });
    assert.ok(single.ok, JSON.stringify(single));
    const mode = await host.waitFor('host.mode', () => true, 30_000, from);
    assert.deepEqual(
      mode.instances.map((instance) => instance.instance),
      ['SUBJECT'],
    );
    for (const role of ['OBSERVER', 'GOD']) {
      await host.waitFor(
        'instance.state',
        (event) => event.instance === role && event.state === 'stopped',
        30_000,
        from,
      );
    }
    assert.equal(
      host.events.slice(from).filter((event) => event.type === 'instance.death').length,
      0,
      'a switch is no death',
    );
    await host.waitFor('instance.loaded', (event) => event.instance === 'SUBJECT', 60_000, from);
    const back = host.events.length;
    assert.ok((await client.call('mode.switch', { mode: 'matrix' })).ok);
    await host.waitUntil(
      () =>
        host.events.slice(back).filter((event) => event.type === 'instance.loaded').length >= 3 ? true : undefined,
      'three loaded again',
      90_000,
    );
  });
});

describe('a mode switch the budget refuses changes nothing', { timeout: 120_000 }, () => {
  it('refuses matrix with limits over the board, and single keeps running', async () => {
    const host = HostProcess.start([
      '--ram-limit-subject',
      '2',
      '--ram-limit-observer',
      '300',
      '--ram-limit-god',
      '300',
    ]);
    const client = await WsClient.connect((await host.waitFor('host.ready')).url);
    try {
      const { pid } = await host.waitFor('instance.loaded');
      const result = await client.call('mode.switch', { mode: 'matrix' });
      assert.ok(!result.ok);
      assert.equal(result.error.code, 'BUDGET_EXCEEDED');
      assert.match(result.error.message, /^cannot switch to matrix mode: RAM limits total 602\.0 GB/);
      assert.ok(isAlive(pid));
      assert.equal(host.of('host.mode').length, 0);
      assert.equal(fs.existsSync(`${host.dataDir}/settings.json`), false, 'no setting was saved');
    } finally {
      client.close();
      await host.stop();
    }
  });
});
