import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { ApiFailure } from '../../electron/core/api.js';
import { boundSamples, buildDeathView, readDeathView, type KeptSample } from '../../electron/core/deaths/deathView.js';
import { PostMortems } from '../../electron/core/deaths/postMortems.js';
import { POST_MORTEMS_FILE, SessionStore } from '../../electron/core/store/sessionStore.js';
import type { HostEvent } from '../../shared/events.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import { DEATH_SAMPLES_MAX, type DeathSample } from '../../shared/postMortem.js';
import type { DeathRecord } from '../../shared/transcript.js';

const MB = 2 ** 20;
const GB = 2 ** 30;

function death(at: number, fields: Partial<DeathRecord> = {}): DeathRecord {
  const base: DeathRecord = {
    v: 1,
    kind: 'death',
    instance: 'SUBJECT',
    at,
    deaths: 3,
    cause: 'ram-threshold',
    pid: 4242,
    signal: 'SIGTERM',
    exitCode: null,
    message: null,
    memoryBytes: 900 * MB,
  };
  return { ...base, ...fields };
}

/** Samples every `everyMs` from `from` to `to`, SUBJECT's memory rising by 1 MB a sample. */
function samples(from: number, to: number, everyMs: number): KeptSample[] {
  const out: KeptSample[] = [];
  for (let t = from, i = 0; t <= to; t += everyMs, i++) {
    out.push({
      t,
      ramUsedBytes: 10 * GB + i * MB,
      ramTotalBytes: 16 * GB,
      instances: { SUBJECT: { memoryBytes: 100 * MB + i * MB, limitBytes: 2 * GB } },
    });
  }
  return out;
}

function frame(t: number, rss: number | null): MetricsFrame {
  return {
    t,
    ramTotalBytes: 16 * GB,
    ramUsedBytes: 12 * GB,
    ramPercent: 75,
    gpu: null,
    psi: null,
    temperaturesC: {},
    intervalMs: 100,
    instances:
      rss === null
        ? {}
        : {
            SUBJECT: {
              role: 'SUBJECT',
              pid: 4242,
              rssBytes: rss,
              rssAnonBytes: rss,
              rssFileBytes: 0,
              vramBytes: null,
              limitBytes: 2 * GB,
              spare: false,
              killable: true,
              tokensPerSecond: null,
            },
          },
  };
}

const thresholds = { ramThreshold: 90, warnThreshold: 70 };

describe('the post-mortem of a death', () => {
  it('keeps only the minute before the death, with its figures at the moment', () => {
    const at = 1_000_000;
    const kept = samples(at - 90_000, at + 5000, 1000);
    // Read as it exited: a zombie has no memory left.
    kept[90]!.instances.SUBJECT!.memoryBytes = 0;
    const view = buildDeathView({
      sessionId: 's1',
      record: death(at, { memoryBytes: 0 }),
      samples: kept,
      thresholds,
      reactionMs: 75,
    });
    assert.equal(view.id, 's1/SUBJECT/3');
    assert.equal(view.samples[0]!.t, at - 60_000, 'nothing older than a minute');
    assert.equal(view.samples.at(-1)!.t, at, 'nothing after the death');
    assert.equal(view.samples.length, 61);
    assert.equal(view.limitBytes, 2 * GB);
    assert.equal(view.memoryBytes, 100 * MB + 89 * MB, 'the last memory it had, not the zombie read at its exit');
    assert.equal(view.ramUsedBytes, 10 * GB + 90 * MB);
    assert.equal(view.ramTotalBytes, 16 * GB);
    assert.deepEqual([view.ramThreshold, view.warnThreshold, view.reactionMs], [90, 70, 75]);
  });

  it('bounds the samples to 600, merging neighbours so the peak survives', () => {
    const many: DeathSample[] = Array.from({ length: 6000 }, (_, i) => ({
      t: i * 10,
      ramUsedBytes: i === 4321 ? 15 * GB : GB,
      memoryBytes: i === 1234 ? 3 * GB : i % 7 === 0 ? null : MB,
      limitBytes: 2 * GB,
    }));
    const bounded = boundSamples(many);
    assert.equal(bounded.length, DEATH_SAMPLES_MAX);
    assert.equal(Math.max(...bounded.map((sample) => sample.ramUsedBytes)), 15 * GB);
    assert.equal(Math.max(...bounded.map((sample) => sample.memoryBytes ?? 0)), 3 * GB);
    assert.equal(bounded.at(-1)!.t, 59_990, 'the last sample is the one before the death');
    assert.ok(
      bounded.every((sample, i) => i === 0 || sample.t > bounded[i - 1]!.t),
      'in time order',
    );
    assert.deepEqual(boundSamples(many.slice(0, 10)), many.slice(0, 10), 'few samples are kept as they are');
  });

  it('refuses a record read back from disk that is not whole', () => {
    const good = buildDeathView({
      sessionId: 's1',
      record: death(5000),
      samples: samples(0, 5000, 500),
      thresholds,
      reactionMs: null,
    });
    const parsed = JSON.parse(JSON.stringify({ v: 1, ...good })) as Record<string, unknown>;
    assert.deepEqual(readDeathView(parsed), good, 'a whole one reads back as written, without the version');
    assert.equal(readDeathView({ ...parsed, cause: 'bored' }), null);
    assert.equal(readDeathView({ ...parsed, instance: '../etc' }), null);
    assert.equal(readDeathView({ ...parsed, samples: [{ t: 'x' }] }), null);
    assert.equal(readDeathView({ ...parsed, memoryBytes: '12' }), null);
    assert.equal(readDeathView(null), null);
  });
});

describe('the post-mortems kept by the host', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bij-postmortem-'));

  it('writes each death with its minute next to it, readable after a restart; other ids are NOT_FOUND', () => {
    const root = tmp();
    const store = new SessionStore(root, 'session-a');
    const deaths = new PostMortems({ store, thresholds: () => thresholds, limitOf: () => 3 * GB });
    const at = Date.now();
    for (let t = at - 70_000; t < at; t += 100) deaths.sample(frame(t, 200 * MB + (t - at + 70_000) * 1000));
    deaths.heard({
      type: 'watchdog.kill',
      instance: 'SUBJECT',
      pid: 4242,
      reactionMs: 62,
      signal: 'SIGTERM',
    } as HostEvent);
    deaths.heard({
      type: 'watchdog.kill',
      instance: 'SUBJECT',
      pid: 4242,
      reactionMs: 2100,
      signal: 'SIGKILL',
    } as HostEvent);
    const summary = deaths.record(death(at, { memoryBytes: null }));
    assert.equal(summary.reactionMs, 62, "crossing -> SIGTERM, not the grace's SIGKILL");
    assert.equal(summary.limitBytes, 2 * GB);
    assert.ok(summary.memoryBytes! > 200 * MB, 'the memory of the last sample that saw it');
    const other = deaths.record(
      death(at + 10, { instance: 'GOD', deaths: 4, cause: 'signal', signal: 'SIGKILL', pid: 99 }),
    );
    assert.equal(other.reactionMs, null, 'no reaction time for a death the watchdog did not cause');
    assert.equal(other.limitBytes, 3 * GB, 'a worker no sample saw has the limit it had at its death');
    assert.equal(other.memoryBytes, 900 * MB);
    store.close();
    const lines = fs
      .readFileSync(path.join(root, 'sessions/session-a', POST_MORTEMS_FILE), 'utf8')
      .trim()
      .split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0]!.length < 64 * 1024, `one death is bounded (${lines[0]!.length} bytes)`);

    const again = new PostMortems({
      store: new SessionStore(root, 'session-b'),
      thresholds: () => thresholds,
      limitOf: () => 3 * GB,
    });
    assert.deepEqual(
      again.recent().map((one) => one.id),
      ['session-a/SUBJECT/3', 'session-a/GOD/4'],
    );
    const view = again.view('session-a/SUBJECT/3');
    assert.equal(view.samples.length, DEATH_SAMPLES_MAX, 'a minute at 100 ms');
    assert.ok(view.samples[0]!.t >= at - 60_000 && view.samples.at(-1)!.t < at);
    for (const id of [
      'session-a/SUBJECT/9',
      '../../etc/SUBJECT/3',
      'session-a/GOD/3',
      'session-a/SUBJECT/4',
      'nope',
      'session-a/SUBJECT',
    ]) {
      assert.throws(
        () => again.view(id),
        (error: unknown) => error instanceof ApiFailure && error.code === 'NOT_FOUND',
      );
    }
  });
});
