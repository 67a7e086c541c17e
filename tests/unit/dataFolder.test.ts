import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, mock } from 'node:test';

import { dataDirProblem, prepareDataDir, DataDirProblem } from '../../electron/core/store/dataDir.js';
import { DataFolderWatch, measureDataFolder } from '../../electron/core/store/dataFolderWatch.js';
import { DeathCountStore } from '../../electron/core/store/deathCounts.js';
import { applyRetention, sessionsToRemove, type SessionUsage } from '../../electron/core/store/retention.js';
import { SessionStore } from '../../electron/core/store/sessionStore.js';
import { isLowOnSpace } from '../../shared/dataFolder.js';
import type { HostEvent, UnstampedEvent } from '../../shared/events.js';

type StoreDiskEvent = Extract<HostEvent, { type: 'store.disk' }>;
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bij-folder-'));
const GB = 2 ** 30;
const DAY = 24 * 60 * 60 * 1000;

describe('retention', () => {
  const now = Date.UTC(2026, 5, 30);
  const session = (id: string, gb: number, daysAgo: number): SessionUsage => ({
    id,
    bytes: gb * GB,
    lastWriteMs: now - daysAgo * DAY,
  });

  it('removes the oldest sessions until the rest fit the size cap, never the current one', () => {
    const sessions = [session('c', 0.5, 3), session('a', 1, 10), session('now', 0.5, 0), session('b', 1, 5)];
    const rule = { maxBytes: 2 * GB, maxAgeMs: 30 * DAY };
    const current = new Set(['now']);
    assert.deepEqual(sessionsToRemove(sessions, rule, current, now), ['a']);
    assert.deepEqual(sessionsToRemove(sessions, { ...rule, maxBytes: 1 * GB }, current, now), ['a', 'b']);
    assert.deepEqual(sessionsToRemove(sessions, { ...rule, maxBytes: 0.1 * GB }, current, now), ['a', 'b', 'c']);
  });

  it('removes every session past the age cap, however little it holds', () => {
    const sessions = [session('old', 0.001, 31), session('older', 0.001, 40), session('new', 0.001, 1)];
    assert.deepEqual(sessionsToRemove(sessions, { maxBytes: 2 * GB, maxAgeMs: 30 * DAY }, new Set(['x']), now), [
      'older',
      'old',
    ]);
  });

  it('keeps the current session even when it alone is over both caps', () => {
    const sessions = [session('now', 5, 100)];
    assert.deepEqual(sessionsToRemove(sessions, { maxBytes: 1 * GB, maxAgeMs: DAY }, new Set(['now']), now), []);
  });

  it("removes the chosen session folders from the disk and says what it freed, never a live host's", () => {
    const sessions = path.join(tmp(), 'sessions');
    for (const [id, bytes] of [
      ['2026-01-01T00-00-00-000Z-1', 3000],
      ['2026-01-02T00-00-00-000Z-2', 2000],
      ['2026-01-03T00-00-00-000Z-3', 1000],
    ] as const) {
      fs.mkdirSync(path.join(sessions, id), { recursive: true });
      fs.writeFileSync(path.join(sessions, id, 'SUBJECT.jsonl'), 'x'.repeat(bytes));
    }
    // The first is the oldest by its last write too.
    const first = path.join(sessions, '2026-01-01T00-00-00-000Z-1', 'SUBJECT.jsonl');
    fs.utimesSync(first, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
    // Over the cap by two sessions, but the host of the second (pid 2) is alive: it writes there still.
    const pass = applyRetention(
      sessions,
      { maxBytes: 1500, maxAgeMs: 30 * DAY },
      '2026-01-03T00-00-00-000Z-3',
      Date.now(),
      (pid) => pid === 2,
    );
    assert.deepEqual(pass.removed, ['2026-01-01T00-00-00-000Z-1']);
    assert.equal(pass.freedBytes, 3000);
    assert.equal(pass.keptBytes, 3000);
    assert.deepEqual(fs.readdirSync(sessions).sort(), ['2026-01-02T00-00-00-000Z-2', '2026-01-03T00-00-00-000Z-3']);
  });
});

describe('the data folder', () => {
  it('is low under 1 GB free, or under 10% of a disk smaller than 10 GB', () => {
    assert.equal(isLowOnSpace(0.9 * GB, 500 * GB), true);
    assert.equal(isLowOnSpace(1.1 * GB, 500 * GB), false);
    assert.equal(isLowOnSpace(0.15 * 2 ** 20, 2 * 2 ** 20), true, 'a 2 MB disk with 150 KB left');
    assert.equal(isLowOnSpace(1.5 * 2 ** 20, 2 * 2 ** 20), false);
  });

  it('names the folder and the fix for a file in its place, a read-only disk, a full one', () => {
    const root = '/srv/jar';
    assert.equal(
      dataDirProblem({ code: 'ENOSPC' }, root),
      'the data folder /srv/jar is on a full disk; free some space there, or choose another folder with --data-dir',
    );
    assert.match(dataDirProblem({ code: 'EROFS', path: root }, root)!, /read-only file system; choose a writable/);
    assert.match(
      dataDirProblem({ code: 'ENOTDIR', path: '/srv/jar/sessions/x' }, root)!,
      /^the data folder \/srv\/jar is not a folder: a file is in the way \(\/srv\/jar\/sessions\/x\)/,
    );
    assert.equal(dataDirProblem({ code: 'EACCES', path: '/etc/model.gguf' }, root), null, 'not in the folder');
    assert.equal(dataDirProblem(new Error('something else'), root), null);
  });

  it('refuses a file given as the data folder, or one under a file, before anything is written', () => {
    const dir = tmp();
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    assert.throws(
      () => prepareDataDir(file),
      (error: Error) => {
        assert.ok(error instanceof DataDirProblem);
        assert.match(error.message, /^the data folder .*a-file is not a folder: a file is in the way; remove it/);
        return true;
      },
    );
    assert.throws(() => prepareDataDir(path.join(file, 'below')), /is not a folder: a file is in the way/);
    prepareDataDir(path.join(dir, 'new', 'folder'));
    assert.ok(fs.statSync(path.join(dir, 'new', 'folder')).isDirectory());
  });

  it('measures what the folder holds and the room on its disk, before it is made too', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'sessions', 's1'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sessions', 's1', 'SUBJECT.jsonl'), 'x'.repeat(5000));
    fs.writeFileSync(path.join(dir, 'settings.json'), '{}');
    const statfs = () => ({ freeBytes: 5 * GB, totalBytes: 100 * GB });
    assert.deepEqual(measureDataFolder(dir, statfs), {
      path: dir,
      exists: true,
      dataDirBytes: 5002,
      sessions: 1,
      freeBytes: 5 * GB,
      totalBytes: 100 * GB,
      state: 'ok',
    });
    const missing = measureDataFolder(path.join(dir, 'not', 'yet'));
    assert.equal(missing.exists, false);
    assert.ok(missing.freeBytes !== null && missing.freeBytes > 0, "the nearest parent's disk");
  });
});

describe('the data folder watch', () => {
  function watched(freeBytes = 50 * GB) {
    const root = tmp();
    const store = new SessionStore(root, '2026-02-01T00-00-00-000Z-9');
    const deathCounts = new DeathCountStore(store.paths.deaths);
    const events: HostEvent[] = [];
    const listeners = new Set<(event: HostEvent) => void>();
    const space = { freeBytes, totalBytes: 100 * GB };
    const settings = { ...DEFAULT_SETTINGS };
    const lines: string[] = [];
    const log = (level: string) => (_source: string, message: string) => lines.push(`${level}: ${message}`);
    const watch = new DataFolderWatch({
      store,
      deathCounts,
      settings: () => settings,
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      statfs: () => space,
      bus: {
        emit: (event: UnstampedEvent) => {
          const stamped = { ...event, at: 0 } as HostEvent;
          events.push(stamped);
          for (const listener of listeners) listener(stamped);
          return stamped;
        },
        subscribe: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
    });
    const disk = () => events.filter((event): event is StoreDiskEvent => event.type === 'store.disk');
    return { root, store, deathCounts, events, listeners, space, settings, lines, watch, disk };
  }

  it('says the state at start, and a warning when free space is low', () => {
    const low = watched(0.5 * GB);
    low.watch.start();
    assert.equal(low.disk().at(-1)?.state, 'low');
    assert.match(low.lines.join('\n'), /warn: disk space low: 512\.0 MB free of 100\.0 GB; the data folder holds/);
    low.watch.stop();
    const fine = watched();
    fine.watch.start();
    assert.equal(fine.disk().at(-1)?.state, 'ok');
    assert.equal(fine.watch.status().state, 'ok');
    fine.watch.stop();
  });

  it('goes full on a refused write, holds the records, and resumes when the disk takes them', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const { store, watch, disk, lines, deathCounts } = watched();
      watch.start();
      fs.mkdirSync(store.transcriptFile('SUBJECT'));
      const written: number[] = [];
      store.appendTranscript(
        {
          v: 1,
          kind: 'life',
          instance: 'SUBJECT',
          at: 1,
          deaths: 0,
          pid: 1,
          modelPath: 'm',
          systemPrompt: 'p',
          memories: 0,
        },
        (_file, line) => written.push(line),
      );
      await Promise.resolve();
      const full = disk().at(-1)!;
      assert.equal(full.state, 'full');
      assert.equal(full.held, 1);
      assert.match(full.message, /^cannot write the data folder \(EISDIR\): transcripts paused; 1 records held/);
      assert.match(lines.join('\n'), /warn: cannot write the data folder \(EISDIR\): transcripts paused/);
      assert.equal(deathCounts.increment('SUBJECT'), 1, 'the death counts go on');

      mock.timers.tick(2000);
      assert.equal(watch.status().state, 'full', 'still refused');
      fs.rmdirSync(store.transcriptFile('SUBJECT'));
      mock.timers.tick(2000);
      assert.deepEqual(written, [1]);
      const back = disk().at(-1)!;
      assert.equal(back.state, 'ok');
      assert.equal(back.held, 0);
      assert.match(lines.join('\n'), /info: disk space is back: transcripts resumed/);
      watch.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it('applies the retention settings at start and as soon as they change', () => {
    const { root, watch, listeners, settings, store } = watched();
    // Its pid is above Linux's largest (2^22): no live host wrote it.
    const old = path.join(root, 'sessions', '2026-01-01T00-00-00-000Z-4194305');
    fs.mkdirSync(old, { recursive: true });
    fs.writeFileSync(path.join(old, 'SUBJECT.jsonl'), '{}\n');
    const ten = new Date(Date.now() - 10 * DAY);
    fs.utimesSync(path.join(old, 'SUBJECT.jsonl'), ten, ten);
    fs.utimesSync(old, ten, ten);
    watch.start();
    assert.ok(fs.existsSync(old), 'ten days old is within the default 30');
    settings.retentionDays = 7;
    for (const listener of listeners)
      listener({ type: 'settings.changed', settings, changed: ['retentionDays'], at: 0 });
    assert.equal(fs.existsSync(old), false);
    assert.ok(fs.existsSync(store.sessionDir), 'never the current session');
    watch.stop();
  });
});
