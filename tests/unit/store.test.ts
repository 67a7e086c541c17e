import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { writeFileAtomic } from '../../electron/core/store/atomicFile.js';
import { DeathCountStore } from '../../electron/core/store/deathCounts.js';
import { JsonlFile, readJsonl, repairTornTail } from '../../electron/core/store/jsonlFile.js';
import { SessionStore } from '../../electron/core/store/sessionStore.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bij-store-'));

describe('JSONL files', () => {
  it('appends one complete line per record and numbers them across reopenings', () => {
    const file = path.join(tmp(), 'a.jsonl');
    const first = JsonlFile.open(file, { durable: true });
    assert.equal(first.append({ a: 1 }), 1);
    assert.equal(first.append({ text: 'line\nbreak' }), 2);
    first.close();
    const second = JsonlFile.open(file, { durable: false });
    assert.equal(second.append({ a: 3 }), 3);
    second.close();
    assert.deepEqual(readJsonl(file).records, [{ a: 1 }, { text: 'line\nbreak' }, { a: 3 }]);
  });

  it('cuts a torn last line back to the last newline, on open', () => {
    const file = path.join(tmp(), 'torn.jsonl');
    fs.writeFileSync(file, '{"a":1}\n{"a":2}\n{"a":');
    const reopened = JsonlFile.open(file, { durable: false });
    assert.equal(reopened.append({ a: 3 }), 3);
    reopened.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
  });

  it('empties a file that holds only a torn line, and leaves whole files alone', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'x'), '{"never finished');
    assert.equal(repairTornTail(path.join(dir, 'x')), 16);
    assert.equal(fs.readFileSync(path.join(dir, 'x'), 'utf8'), '');
    fs.writeFileSync(path.join(dir, 'y'), '{}\n');
    assert.equal(repairTornTail(path.join(dir, 'y')), 0);
    assert.equal(repairTornTail(path.join(dir, 'missing')), 0);
  });

  it('finds a newline further back than one read chunk', () => {
    const file = path.join(tmp(), 'long.jsonl');
    fs.writeFileSync(file, `{"ok":true}\n${'x'.repeat(200_000)}`);
    repairTornTail(file);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"ok":true}\n');
  });

  it('reports lines that do not parse instead of throwing', () => {
    const file = path.join(tmp(), 'bad.jsonl');
    fs.writeFileSync(file, '{"a":1}\nnot json\n{"a":2}\n');
    assert.deepEqual(readJsonl(file), { records: [{ a: 1 }, { a: 2 }], badLines: [2] });
  });
});

describe('atomic files and death counts', () => {
  it('replaces a file whole and leaves no temporary file behind', () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    assert.equal(fs.readFileSync(file, 'utf8'), 'two');
    assert.deepEqual(fs.readdirSync(dir), ['settings.json']);
  });

  it('counts deaths per role and keeps them across restarts', () => {
    const file = path.join(tmp(), 'deaths.json');
    const store = new DeathCountStore(file);
    assert.equal(store.increment('SUBJECT'), 1);
    assert.equal(store.increment('SUBJECT'), 2);
    assert.equal(store.increment('GOD'), 1);
    const reopened = new DeathCountStore(file);
    assert.equal(reopened.get('SUBJECT'), 2);
    assert.equal(reopened.get('OBSERVER'), 0);
    assert.equal(reopened.get('GOD'), 1);
  });

  it('starts from zero when the counts file is missing or unreadable', () => {
    const file = path.join(tmp(), 'deaths.json');
    fs.writeFileSync(file, '{"SUBJECT": "many"');
    assert.equal(new DeathCountStore(file).get('SUBJECT'), 0);
  });
});

describe('session store', () => {
  it('keeps each session in its own folder and carries the last reflections into the next', () => {
    const root = tmp();
    const first = new SessionStore(root, '2026-01-01T00-00-00-000Z-1');
    for (let n = 1; n <= 3; n++) {
      first.appendTranscript({
        v: 1,
        kind: 'reflection',
        at: n,
        instance: 'SUBJECT',
        n,
        deaths: 0,
        text: `thought ${n}`,
        tokens: 2,
        startedAt: n,
        endedAt: n,
        complete: true,
      });
    }
    first.close();
    const second = new SessionStore(root, '2026-01-02T00-00-00-000Z-2');
    assert.deepEqual(second.previousReflections('SUBJECT', 2), ['thought 2', 'thought 3']);
    assert.deepEqual(second.previousReflections('GOD', 2), []);
  });

  it('repairs torn transcripts of earlier sessions on start', () => {
    const root = tmp();
    const dir = path.join(root, 'sessions', 'old');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'SUBJECT.jsonl'), '{"kind":"life"}\n{"kind":"refl');
    const store = new SessionStore(root, 'new');
    assert.deepEqual(store.repairEarlierSessions(), [path.join(dir, 'SUBJECT.jsonl')]);
    assert.equal(fs.readFileSync(path.join(dir, 'SUBJECT.jsonl'), 'utf8'), '{"kind":"life"}\n');
  });

  it('writes one crash report line per death in the original shape', () => {
    const root = tmp();
    const store = new SessionStore(root, 's');
    store.appendCrashReport(
      {
        v: 1,
        kind: 'death',
        instance: 'OBSERVER',
        at: Date.UTC(2026, 10, 28, 16, 5, 40),
        deaths: 3,
        cause: 'ram-limit',
        pid: 42,
        signal: 'SIGTERM',
        exitCode: null,
        message: 'over its limit\nby a lot',
        memoryBytes: 7 * 2 ** 30,
      },
      { lived: '12.0s' },
    );
    assert.equal(
      fs.readFileSync(path.join(root, 'logs', 'crash_reports.log'), 'utf8'),
      '2026-11-28T16:05:40.000Z - CRASH #3: RAM_LIMIT OBSERVER pid=42 signal=SIGTERM memory=7168.0MB lived=12.0s ' +
        'message="over its limit\\nby a lot"\n',
    );
  });
});
