import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import type { HostSnapshot } from '../../shared/api.js';
import type { TranscriptRecord } from '../../shared/transcript.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';
import { fill, mountTmpfs, unmount } from '../helpers/tmpfs.js';
import { WsClient } from '../helpers/wsClient.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every line of every JSONL file below `dir`; a line that does not parse (a torn or glued record) fails. */
function jsonlFiles(dir: string): Map<string, unknown[]> {
  const files = new Map<string, unknown[]>();
  for (const name of fs.readdirSync(dir, { recursive: true }).map(String)) {
    if (!name.endsWith('.jsonl')) continue;
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), `${name} ends with a whole line`);
    const records = text
      .split('\n')
      .slice(0, -1)
      .map((line, index) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          assert.fail(`${name} line ${index + 1} is not one whole record: ${line.slice(0, 200)}`);
        }
      });
    files.set(file, records);
  }
  return files;
}

async function snapshotOf(client: WsClient): Promise<HostSnapshot> {
  const reply = await client.call('host.snapshot', {});
  assert.ok(reply.ok);
  return reply.result as HostSnapshot;
}

describe('a full disk', { timeout: 120_000 }, () => {
  const models = testModels();

  it('pauses the transcripts visibly, corrupts nothing, announces only what is on disk, and resumes', async (t) => {
    const mount = mountTmpfs('size=2m');
    let host: HostProcess | null = null;
    let client: WsClient | null = null;
    try {
      // The model lives elsewhere: the tmpfs holds only what the host writes.
      host = HostProcess.start(['--model', models.good, '--max-tokens', '24'], { dataDir: path.join(mount, 'data') });
      const running = host;
      client = await WsClient.connect((await running.waitFor('host.ready')).url);
      const reflections = (from: number) =>
        running.events.slice(from).filter((event) => event.type === 'instance.reflection').length;
      await running.waitUntil(() => (reflections(0) >= 3 ? true : undefined), 'three reflections');
      assert.equal((await snapshotOf(client)).disk?.state, 'ok');

      fill(path.join(mount, 'filler'));
      const full = await running.waitFor('store.disk', (event) => event.state === 'full', 15_000);
      const fullAt = running.events.indexOf(full);
      assert.match(full.message, /^disk full: transcripts paused \(ENOSPC\)/);
      const fullSnapshot = await snapshotOf(client);
      assert.equal(fullSnapshot.disk?.state, 'full');
      assert.ok(
        running
          .of('log')
          .some((event) => event.level === 'warn' && /disk full: transcripts paused/.test(event.message)),
        'the log (and the panel) says so',
      );
      // The mind goes on thinking; its records wait in memory.
      await running.waitUntil(() => (reflections(fullAt) >= 5 ? true : undefined), 'reflections while full');
      const heldWhileFull = (await snapshotOf(client)).disk!.held;
      assert.ok(heldWhileFull >= 5, `${heldWhileFull} records held`);
      assert.equal(
        running.events.slice(fullAt).filter((event) => event.type === 'transcript.written').length,
        0,
        'nothing is announced as written while the disk refuses it',
      );
      jsonlFiles(path.join(mount, 'data'));

      fs.unlinkSync(path.join(mount, 'filler'));
      const back = await running.waitFor('store.disk', (event) => event.state === 'ok', 15_000, fullAt);
      const backAt = running.events.indexOf(back);
      assert.equal(back.held, 0);
      await running.waitFor('transcript.written', () => true, 15_000, backAt);
      const after = await snapshotOf(client);
      assert.equal(after.disk?.state, 'ok');
      assert.equal(after.disk?.lost, 0);
      const meanwhile = running.events.slice(fullAt, backAt).filter((event) => event.type === 'instance.reflection');
      t.diagnostic(
        `disk full: ${meanwhile.length} reflections made while full, ${heldWhileFull} records held at one look, ` +
          `${after.disk?.lost} lost`,
      );
      client.close();
      client = null;
      await running.stop();

      // Every line of every file is one whole record, and every record announced as written is where it was said.
      const files = jsonlFiles(path.join(mount, 'data'));
      const written = running.of('transcript.written');
      assert.ok(written.length > 0);
      const lines = new Set<string>();
      for (const event of written) {
        const records = files.get(event.file);
        assert.ok(records, `${event.file} exists`);
        const record = records[event.line - 1] as TranscriptRecord | undefined;
        assert.ok(record, `${path.basename(event.file)} line ${event.line} (${event.kind}) is in the file`);
        assert.equal(record.kind, event.kind);
        const key = `${event.file}:${event.line}`;
        assert.ok(!lines.has(key), `line ${key} announced once`);
        lines.add(key);
      }
      // Nothing was lost: every reflection the host made is in the transcript, once, in order.
      const transcript = files.get(written[0]!.file) as TranscriptRecord[];
      const onDisk = transcript.flatMap((record) => (record.kind === 'reflection' ? [record.n] : []));
      const made = running.of('instance.reflection').map((event) => event.record.n);
      assert.deepEqual(onDisk, made);
    } finally {
      client?.close();
      await host?.stop();
      unmount(mount);
    }
  });

  describe('a data folder the host cannot use: one line naming it and the fix, exit 2', () => {
    const cli = async (args: string[]) => {
      try {
        const { stdout, stderr } = await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', path.join(root, 'electron/headless.ts'), '--web-port', '0', ...args],
          { cwd: root, timeout: 60_000 },
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failure = error as { code: number; stdout: string; stderr: string };
        return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
      }
    };
    const refused = (result: { code: number; stderr: string }, pattern: RegExp) => {
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line, no stack trace:\n${result.stderr}`);
      assert.match(result.stderr, pattern);
    };

    it('a file given as the data folder, or a folder under a file', async () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-file-')), 'not-a-folder');
      fs.writeFileSync(file, 'x');
      const escaped = file.replace(/[/.]/g, '\\$&');
      refused(
        await cli(['--data-dir', file]),
        new RegExp(`^brain-in-jar: the data folder ${escaped} is not a folder: a file is in the way; remove it`),
      );
      refused(await cli(['--data-dir', path.join(file, 'data')]), /is not a folder: a file is in the way/);
    });

    it('a read-only folder', async () => {
      const mount = mountTmpfs('size=1m,ro');
      try {
        refused(
          await cli(['--data-dir', path.join(mount, 'data')]),
          /the data folder \S+ is on a read-only file system; choose a writable folder with --data-dir/,
        );
      } finally {
        unmount(mount);
      }
    });

    it('a full disk when the demo model is to be made: nothing half-made is left to hold the space', async () => {
      const mount = mountTmpfs('size=1m');
      try {
        fill(path.join(mount, 'filler'));
        refused(
          await cli(['--data-dir', path.join(mount, 'data')]),
          /the data folder \S+ is on a full disk; free some space there, or choose another folder with --data-dir/,
        );
        assert.deepEqual(fs.readdirSync(path.join(mount, 'data', 'models')), []);
      } finally {
        unmount(mount);
      }
    });
  });
});
