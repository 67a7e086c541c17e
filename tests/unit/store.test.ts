import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { removeStaleTemporaries, writeFileAtomic } from '../../electron/core/store/atomicFile.js';
import { DeathCountStore, parseDeathCounts } from '../../electron/core/store/deathCounts.js';
import {
  JsonlFile,
  NODE_APPEND_IO,
  readJsonl,
  repairTornTail,
  type AppendIo,
} from '../../electron/core/store/jsonlFile.js';
import { RetryingLineFile } from '../../electron/core/store/retryingLineFile.js';
import { CRASH_REPORTS_MAX_BYTES, SessionStore } from '../../electron/core/store/sessionStore.js';
import type { TranscriptRecord } from '../../shared/transcript.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bij-store-'));

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/**
 * The real system calls, with a disk that has `room` bytes left: a write takes what fits and returns that count (as
 * write(2) does), and the next one fails with ENOSPC; a cut gives the room back.
 */
function fillingDisk(room: number): AppendIo & { room: number; failTruncate: boolean; failSync: boolean } {
  const disk = {
    room,
    failTruncate: false,
    failSync: false,
    write: (fd: number, buffer: Buffer, offset: number, length: number) => {
      if (disk.room === 0) throw enospc();
      const wrote = NODE_APPEND_IO.write(fd, buffer, offset, Math.min(length, disk.room));
      disk.room -= wrote;
      return wrote;
    },
    fdatasync: (fd: number) => {
      if (disk.failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      NODE_APPEND_IO.fdatasync(fd);
    },
    ftruncate: (fd: number, length: number) => {
      if (disk.failTruncate) throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
      disk.room += NODE_APPEND_IO.size(fd) - length;
      NODE_APPEND_IO.ftruncate(fd, length);
    },
    size: NODE_APPEND_IO.size,
  };
  return disk;
}

function reflection(n: number, deaths = 0): TranscriptRecord {
  return {
    v: 1,
    kind: 'reflection',
    at: n,
    instance: 'SUBJECT',
    n,
    deaths,
    text: `thought ${n}`,
    tokens: 2,
    startedAt: n,
    endedAt: n,
    complete: true,
  };
}

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

describe('appends on a disk that fills up', () => {
  it('writes what a short write left out, so a record is never cut in two', () => {
    const file = path.join(tmp(), 'short.jsonl');
    const io = fillingDisk(1000);
    const calls: number[] = [];
    const jsonl = JsonlFile.open(file, {
      durable: true,
      io: { ...io, write: (fd, buffer, offset, length) => (calls.push(length), io.write(fd, buffer, offset, 3)) },
    });
    assert.equal(jsonl.append({ text: 'twelve chars' }), 1);
    jsonl.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '{"text":"twelve chars"}\n');
    assert.ok(calls.length > 1, 'it took more than one write');
  });

  it('cuts the fragment of a record the disk had no room for, throws, and numbers the next record right', () => {
    const file = path.join(tmp(), 'full.jsonl');
    const io = fillingDisk(30);
    const jsonl = JsonlFile.open(file, { durable: true, io });
    assert.equal(jsonl.append({ a: 1 }), 1);
    assert.throws(() => jsonl.append({ text: 'a record longer than the room left' }), { code: 'ENOSPC' });
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n', 'no fragment is left behind');
    io.room = 1000;
    assert.equal(jsonl.append({ a: 2 }), 2);
    jsonl.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n');
  });

  it('takes back a record whose flush failed: it is not on disk, so it is not written', () => {
    const file = path.join(tmp(), 'eio.jsonl');
    const io = fillingDisk(1000);
    const jsonl = JsonlFile.open(file, { durable: true, io });
    jsonl.append({ a: 1 });
    io.failSync = true;
    assert.throws(() => jsonl.append({ a: 2 }), { code: 'EIO' });
    io.failSync = false;
    assert.equal(jsonl.append({ a: 3 }), 2);
    jsonl.close();
    assert.deepEqual(readJsonl(file).records, [{ a: 1 }, { a: 3 }]);
  });

  it('refuses to append after a cut that failed until the cut succeeds', () => {
    const file = path.join(tmp(), 'stuck.jsonl');
    const io = fillingDisk(12);
    const jsonl = JsonlFile.open(file, { durable: false, io });
    jsonl.append({ a: 1 });
    io.failTruncate = true;
    assert.throws(() => jsonl.append({ long: 'enough to fail' }), { code: 'ENOSPC' });
    assert.notEqual(fs.readFileSync(file, 'utf8'), '{"a":1}\n', 'the fragment is still there');
    io.room = 1000;
    assert.throws(() => jsonl.append({ a: 2 }), { code: 'EIO' }, 'nothing goes after the fragment');
    io.failTruncate = false;
    assert.equal(jsonl.append({ a: 2 }), 2);
    jsonl.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n');
  });

  it('holds what the disk refuses, in order, writes it when space returns, and says each line only then', () => {
    const file = path.join(tmp(), 'held.jsonl');
    const io = fillingDisk(8);
    const failures: string[] = [];
    const written: Array<[string, number]> = [];
    const held = new RetryingLineFile(
      () => JsonlFile.open(file, { durable: true, io }),
      (error) => failures.push((error as NodeJS.ErrnoException).code!),
    );
    assert.equal(
      held.append('{"n":1}', (line) => written.push(['1', line])),
      true,
    );
    assert.equal(
      held.append('{"n":2}', (line) => written.push(['2', line])),
      false,
    );
    assert.equal(
      held.append('{"n":3}', (line) => written.push(['3', line])),
      false,
      'nothing jumps the queue, even what would fit',
    );
    assert.deepEqual(failures, ['ENOSPC']);
    assert.deepEqual(written, [['1', 1]]);
    assert.deepEqual(held.counts(), { held: 2, lost: 0 });
    assert.equal(held.retry(), false, 'still full');
    io.room = 1000;
    assert.equal(held.retry(), true);
    assert.deepEqual(written, [
      ['1', 1],
      ['2', 2],
      ['3', 3],
    ]);
    held.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  it('bounds what it holds: past the limit the oldest held lines are dropped and counted lost', () => {
    const file = path.join(tmp(), 'bounded.jsonl');
    const io = fillingDisk(0);
    const held = new RetryingLineFile(
      () => JsonlFile.open(file, { durable: false, io }),
      () => undefined,
      100,
    );
    for (let n = 0; n < 20; n++) held.append(JSON.stringify({ n, pad: 'x'.repeat(10) }));
    const { held: kept, lost } = held.counts();
    assert.equal(kept + lost, 20);
    assert.ok(lost > 0 && kept > 0 && kept <= 5, `kept ${kept}, lost ${lost}`);
    io.room = 10_000;
    assert.equal(held.retry(), true);
    held.close();
    const { records } = readJsonl<{ n: number }>(file);
    assert.deepEqual(
      records.map((record) => record.n),
      Array.from({ length: kept }, (_, index) => 20 - kept + index),
      'the newest are kept',
    );
  });

  it('the session store says a transcript line only once it is on disk, and reports the refusals', () => {
    const root = tmp();
    const store = new SessionStore(root, 's');
    const failures: string[] = [];
    store.onWriteFailure((error) => failures.push((error as NodeJS.ErrnoException).code!));
    // A folder where the transcript goes: the open is refused as a full disk's write would be.
    fs.mkdirSync(store.transcriptFile('SUBJECT'));
    const lines: Array<[string, number]> = [];
    const said = (file: string, line: number) => lines.push([path.basename(file), line]);
    assert.equal(store.appendTranscript(reflection(1), said), false);
    assert.equal(store.appendTranscript(reflection(2), said), false);
    assert.deepEqual(lines, []);
    assert.deepEqual(failures, ['EISDIR']);
    assert.deepEqual(store.heldCounts(), { held: 2, lost: 0 });
    assert.equal(store.retryHeld(), false);
    fs.rmdirSync(store.transcriptFile('SUBJECT'));
    assert.equal(store.retryHeld(), true);
    assert.deepEqual(lines, [
      ['SUBJECT.jsonl', 1],
      ['SUBJECT.jsonl', 2],
    ]);
    assert.equal(store.appendTranscript(reflection(3), said), true);
    assert.deepEqual(lines.at(-1), ['SUBJECT.jsonl', 3]);
    store.close();
    assert.deepEqual(
      readJsonl<TranscriptRecord>(store.transcriptFile('SUBJECT')).records.map((record) => record.at),
      [1, 2, 3],
    );
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

  it('leaves the old content and no temporary file when the write fails (the target is a folder)', () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    fs.mkdirSync(file);
    assert.throws(() => writeFileAtomic(file, 'new'));
    assert.deepEqual(fs.readdirSync(dir), ['settings.json']);
  });

  it('removes the temporary files of writers that are gone, not of living ones', () => {
    const dir = tmp();
    for (const name of ['.settings.json.999999.tmp', '.deaths.json.999998.tmp', `.settings.json.${process.pid}.tmp`]) {
      fs.writeFileSync(path.join(dir, name), 'half');
    }
    fs.writeFileSync(path.join(dir, '.settings.json.1.tmp'), 'pid 1 is alive');
    fs.writeFileSync(path.join(dir, 'notes.tmp'), 'not ours');
    const removed = removeStaleTemporaries(dir, (pid) => pid === 1);
    assert.deepEqual(removed.map((file) => path.basename(file)).sort(), [
      '.deaths.json.999998.tmp',
      '.settings.json.999999.tmp',
    ]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      '.settings.json.1.tmp',
      `.settings.json.${process.pid}.tmp`,
      'notes.tmp',
    ]);
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

  it('starts from zero when the counts file is missing, without a notice', () => {
    const store = new DeathCountStore(path.join(tmp(), 'deaths.json'));
    assert.equal(store.get('SUBJECT'), 0);
    assert.equal(store.notice, null);
  });

  it('accepts only counts: non-negative safe integers, each refusal named', () => {
    assert.deepEqual(parseDeathCounts('{"SUBJECT": 3, "OBSERVER": 0}'), {
      counts: { SUBJECT: 3, OBSERVER: 0 },
      problems: [],
    });
    assert.deepEqual(parseDeathCounts('{"SUBJECT": -3, "OBSERVER": "7", "GOD": 1e308}'), {
      counts: {},
      problems: ['SUBJECT is -3, not a count', 'OBSERVER is "7", not a count', 'GOD is 1e+308, not a count'],
    });
    assert.deepEqual(parseDeathCounts('{"SUBJECT": 2.5, "GOD": null}').problems, [
      'SUBJECT is 2.5, not a count',
      'GOD is null, not a count',
    ]);
    assert.match(parseDeathCounts('{"SUBJECT": "many"').problems[0]!, /^not valid JSON/);
    assert.deepEqual(parseDeathCounts('[1, 2]').problems, ['not an object of counts by role']);
  });

  it('keeps a damaged file aside, says so, and recovers the counts from the transcripts', () => {
    const root = tmp();
    const old = new SessionStore(root, '2026-01-01T00-00-00-000Z-1');
    old.appendTranscript(reflection(1, 4));
    old.appendTranscript({ ...reflection(2, 7), instance: 'GOD' });
    old.close();
    const file = path.join(root, 'deaths.json');
    fs.writeFileSync(file, '{"SUBJECT": 5, "GOD": -3, "OBSERVER": "7"}');
    const store = new SessionStore(root, '2026-01-02T00-00-00-000Z-2');
    const counts = new DeathCountStore(file, () => store.deathsInTranscripts(), new Date(Date.UTC(2026, 0, 2)));
    assert.equal(counts.get('SUBJECT'), 5, 'what the file vouches for stands');
    assert.equal(counts.get('GOD'), 7, 'what it cannot is recovered from the transcripts');
    assert.equal(counts.get('OBSERVER'), 0, 'no transcript: 0');
    const backup = `${file}.corrupt-2026-01-02T00-00-00-000Z`;
    assert.equal(fs.readFileSync(backup, 'utf8'), '{"SUBJECT": 5, "GOD": -3, "OBSERVER": "7"}');
    assert.equal(
      counts.notice,
      `deaths.json was damaged (OBSERVER is "7", not a count; GOD is -3, not a count); it is kept as ${backup}; ` +
        'counts from the transcripts: OBSERVER 0, GOD 7',
    );
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { SUBJECT: 5, OBSERVER: 0, GOD: 7 });
    assert.equal(new DeathCountStore(file).notice, null, 'the mended file is whole at the next start');
  });

  it('recovers every count from the transcripts when the file does not parse', () => {
    const root = tmp();
    const old = new SessionStore(root, 'a');
    for (const deaths of [1, 2, 3]) old.appendTranscript(reflection(deaths, deaths));
    old.close();
    const file = path.join(root, 'deaths.json');
    fs.writeFileSync(file, '{"SUBJECT": "many"');
    const store = new SessionStore(root, 'b');
    const counts = new DeathCountStore(file, () => store.deathsInTranscripts());
    assert.equal(counts.get('SUBJECT'), 3);
    assert.match(counts.notice!, /^deaths\.json was damaged \(not valid JSON/);
    assert.equal(fs.readdirSync(root).filter((name) => name.startsWith('deaths.json.corrupt-')).length, 1);
  });

  it('keeps counting when the disk refuses the save, and saves when it takes it again', () => {
    const dir = tmp();
    const file = path.join(dir, 'deaths.json');
    const counts = new DeathCountStore(file);
    const failures: Error[] = [];
    counts.onWriteFailure((error) => failures.push(error));
    assert.equal(counts.increment('SUBJECT'), 1);
    // Root writes through permissions, so the refusal is a folder where the temporary file goes.
    fs.mkdirSync(path.join(dir, `.deaths.json.${process.pid}.tmp`));
    assert.equal(counts.increment('SUBJECT'), 2, 'the count rises in memory');
    assert.equal(counts.increment('SUBJECT'), 3);
    assert.equal(failures.length, 2);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).SUBJECT, 1);
    assert.equal(counts.retrySave(), false);
    fs.rmdirSync(path.join(dir, `.deaths.json.${process.pid}.tmp`));
    assert.equal(counts.retrySave(), true);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).SUBJECT, 3);
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

  it('keeps the crash reports under their cap for ever: the log and one predecessor, the newest deaths in order', () => {
    const root = tmp();
    const store = new SessionStore(root, 's');
    const death = (deaths: number) =>
      store.appendCrashReport(
        {
          v: 1,
          kind: 'death',
          instance: 'SUBJECT',
          at: Date.UTC(2026, 10, 28, 16, 5, 40),
          deaths,
          cause: 'signal',
          pid: 4242,
          signal: 'SIGKILL',
          exitCode: null,
          message: 'ended by a signal the host did not send',
          memoryBytes: 94 * 2 ** 20,
        },
        { lived: '15.2s' },
      );
    // Enough deaths (years of the original's rate) to fill the cap more than twice over.
    const lineBytes = 160;
    const deaths = Math.ceil((2.5 * CRASH_REPORTS_MAX_BYTES) / lineBytes);
    for (let n = 1; n <= deaths; n++) assert.equal(death(n), true);
    store.close();
    const log = path.join(root, 'logs', 'crash_reports.log');
    assert.ok(fs.statSync(log).size <= CRASH_REPORTS_MAX_BYTES);
    assert.ok(fs.statSync(`${log}.1`).size <= CRASH_REPORTS_MAX_BYTES);
    assert.deepEqual(
      fs
        .readdirSync(path.join(root, 'logs'))
        .filter((name) => name.startsWith('crash'))
        .sort(),
      ['crash_reports.log', 'crash_reports.log.1'],
    );
    const numbers = [fs.readFileSync(`${log}.1`, 'utf8'), fs.readFileSync(log, 'utf8')]
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => Number(/CRASH #(\d+):/.exec(line)![1]));
    assert.equal(numbers.at(-1), deaths);
    assert.ok(numbers.length > CRASH_REPORTS_MAX_BYTES / 1024, 'the predecessor holds a whole file of deaths');
    assert.deepEqual(
      numbers,
      numbers.map((_, index) => deaths - numbers.length + 1 + index),
      'consecutive, no line lost at a rotation',
    );
  });

  it('rotates the crash reports of an earlier run already at the cap when the next death comes', () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'logs'), { recursive: true });
    const log = path.join(root, 'logs', 'crash_reports.log');
    const earlier = `${'x'.repeat(99)}\n`.repeat(Math.floor(CRASH_REPORTS_MAX_BYTES / 100));
    fs.writeFileSync(log, earlier);
    const store = new SessionStore(root, 's');
    store.appendCrashReport(
      {
        v: 1,
        kind: 'death',
        instance: 'GOD',
        at: Date.UTC(2026, 10, 28, 16, 5, 40),
        deaths: 1,
        cause: 'killed',
        pid: 7,
        signal: 'SIGKILL',
        exitCode: null,
        message: null,
        memoryBytes: null,
      },
      {},
    );
    store.close();
    assert.equal(
      fs.readFileSync(log, 'utf8'),
      '2026-11-28T16:05:40.000Z - CRASH #1: KILLED GOD pid=7 signal=SIGKILL\n',
    );
    assert.equal(fs.readFileSync(`${log}.1`, 'utf8'), earlier);
  });
});
