import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { exportSession } from '../../electron/core/store/sessionExport.js';
import { SessionHistory } from '../../electron/core/store/sessionHistory.js';

/**
 * A session as the first release wrote it (life records without `memories`, before death records named a memory),
 * with what a power loss and a stray editor leave: a line that is not JSON and a torn last line.
 */
const OLD_ID = '2026-11-20T08-00-00-000Z-4242';
const OLD_SUBJECT = [
  { v: 1, kind: 'life', instance: 'SUBJECT', at: 1, deaths: 0, pid: 10, modelPath: '/m/old.gguf', systemPrompt: 'p' },
  {
    v: 1,
    kind: 'reflection',
    instance: 'SUBJECT',
    n: 1,
    deaths: 0,
    text: 'I think, "therefore", I am',
    tokens: 7,
    startedAt: 2,
    endedAt: 3,
    complete: true,
    at: 3,
  },
  {
    v: 1,
    kind: 'reflection',
    instance: 'SUBJECT',
    n: 2,
    deaths: 0,
    text: 'and then',
    tokens: 2,
    startedAt: 4,
    endedAt: 5,
    complete: false,
    at: 5,
  },
  {
    v: 1,
    kind: 'death',
    instance: 'SUBJECT',
    at: 6,
    deaths: 1,
    cause: 'killed',
    pid: 10,
    signal: 'SIGKILL',
    exitCode: null,
    message: '=HYPERLINK("x")',
  },
]
  .map((record) => JSON.stringify(record))
  .join('\n');

function dataFolder(): { sessions: string; current: string } {
  const sessions = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-history-')), 'sessions');
  fs.mkdirSync(path.join(sessions, OLD_ID), { recursive: true });
  fs.writeFileSync(path.join(sessions, OLD_ID, 'SUBJECT.jsonl'), `${OLD_SUBJECT}\nnot json\n{"v":1,"kind":"refl`);
  fs.writeFileSync(
    path.join(sessions, OLD_ID, 'events.jsonl'),
    '{"type":"log","at":7,"level":"info","message":"hello"}\n',
  );
  const current = '2026-12-01T23-00-00-000Z-99';
  fs.mkdirSync(path.join(sessions, current));
  return { sessions, current };
}

const collect = (chunks: Iterable<string>) => [...chunks].join('');

describe('history read from the data folder, files of earlier versions included', () => {
  it('lists sessions newest first, with their time, transcripts and size', () => {
    const { sessions, current } = dataFolder();
    const list = new SessionHistory(sessions, current).list();
    assert.equal(list.total, 2);
    assert.deepEqual(
      list.sessions.map((one) => [one.id, one.current, one.roles]),
      [
        [current, true, []],
        [OLD_ID, false, ['SUBJECT']],
      ],
    );
    assert.equal(list.sessions[1]!.startedAt, Date.parse('2026-11-20T08:00:00.000Z'));
  });

  it('reads a transcript a page at a time, says a cut thought and a bad line, and skips the torn tail', () => {
    const { sessions, current } = dataFolder();
    const history = new SessionHistory(sessions, current);
    const first = history.read(OLD_ID, 'transcript', 'SUBJECT', 0, 2);
    assert.deepEqual(
      first.entries.map((entry) => entry.kind),
      ['life', 'reflection'],
    );
    assert.match(first.entries[0]!.text, /old\.gguf, told of 0 deaths/);
    assert.notEqual(first.next, null);
    const rest = history.read(OLD_ID, 'transcript', 'SUBJECT', first.next!, 50);
    assert.deepEqual(
      rest.entries.map((entry) => entry.kind),
      ['reflection', 'death', 'unreadable'],
    );
    assert.match(rest.entries[0]!.text, /cut off by its death/);
    assert.match(rest.entries[1]!.text, /death 1\): killed, signal SIGKILL/);
    assert.equal(rest.next, null);
    assert.deepEqual(
      history.read(OLD_ID, 'deaths', 'SUBJECT').entries.map((entry) => entry.at),
      [6],
    );
    assert.equal(history.read(OLD_ID, 'events', undefined).entries[0]!.text, 'hello');
  });

  it('refuses a session that is not in the data folder, or a name that climbs out of it', () => {
    const { sessions, current } = dataFolder();
    const history = new SessionHistory(sessions, current);
    for (const name of ['../sessions', '2026-01-01T00-00-00-000Z-1', '']) {
      assert.throws(() => history.read(name, 'events', undefined), /no session/);
    }
  });

  it('exports deaths as CSV a spreadsheet opens safely, and the transcript as JSONL and text', () => {
    const { sessions, current } = dataFolder();
    const history = new SessionHistory(sessions, current);
    const csv = collect(exportSession(history, OLD_ID, 'deaths.csv', () => [], current).chunks);
    const [header, row, end] = csv.split('\r\n');
    assert.equal(header, 'at,instance,deaths,cause,signal,exit_code,pid,memory_bytes,message');
    assert.equal(row, `1970-01-01T00:00:00.006Z,SUBJECT,1,killed,SIGKILL,,10,,"'=HYPERLINK(""x"")"`);
    assert.equal(end, '');
    const jsonl = collect(exportSession(history, OLD_ID, 'transcript.jsonl', () => [], current).chunks);
    const records = jsonl
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string });
    assert.deepEqual(
      records.map((record) => record.kind),
      ['life', 'reflection', 'reflection', 'death'],
    );
    const text = collect(exportSession(history, OLD_ID, 'transcript.txt', () => [], current).chunks);
    assert.match(text, /== SUBJECT ==/);
    assert.match(text, /I think, "therefore", I am/);
  });
});
