import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { LineWriter } from '../../electron/core/lineWriter.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LINES = 5000;
const PAUSE_MS = 3000;

/**
 * A process that writes LINES lines of 200 bytes to its stdout (a real pipe, which this test does not read for
 * PAUSE_MS) through a LineWriter holding at most 64 KB, while a 10 ms interval measures its event loop; it tells on
 * stderr how long the loop stood still at most and how many lines it dropped, then flushes and exits.
 */
const SCRIPT = `
import { LineWriter } from './electron/core/lineWriter.ts';
const out = new LineWriter({ fd: 1, maxQueuedBytes: 64 * 1024, droppedLine: (count) => JSON.stringify({ dropped: count }) });
let last = Date.now();
let maxGap = 0;
const interval = setInterval(() => { const now = Date.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 10);
for (let n = 0; n < ${LINES}; n++) out.line(JSON.stringify({ n, pad: 'x'.repeat(180) }));
setTimeout(() => {
  clearInterval(interval);
  process.stderr.write(JSON.stringify({ maxGap, dropped: out.dropped }) + '\\n');
  void out.flush(10000).then(() => process.exit(0));
}, ${PAUSE_MS});
`;

describe('lines to stdout behind a reader that stops reading', () => {
  it('never stall the event loop; the lines past the bound are dropped, counted and announced, none torn', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    const report = await new Promise<{ maxGap: number; dropped: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no report: ${stderr}`)), 60_000);
      child.stderr.on('data', () => {
        const line = stderr.split('\n').find((text) => text.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as { maxGap: number; dropped: number });
        }
      });
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setImmediate(resolve));

    assert.equal(code, 0, stderr);
    // Written synchronously, the 1 MB would have stopped the loop for the whole pause.
    assert.ok(report.maxGap < PAUSE_MS / 2, `the loop stood still for ${report.maxGap} ms`);
    assert.ok(report.dropped > 0, 'a 64 KB bound behind a stopped reader must drop some of 1 MB');
    const records = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { n?: number; dropped?: number });
    const written = records.filter((record) => record.n !== undefined).map((record) => record.n!);
    const notices = records.filter((record) => record.dropped !== undefined);
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.dropped, report.dropped);
    assert.equal(written.length + report.dropped, LINES);
    assert.deepEqual(
      written,
      [...written].sort((a, b) => a - b),
      'lines in the order they were given',
    );
    assert.equal(written[0], 0);
  });
});

describe('the line writer', () => {
  it('writes the rest of a line a pipe took only part of before the next line', async () => {
    const taken: string[] = [];
    const writer = new LineWriter({
      fd: 99,
      maxQueuedBytes: 1024,
      droppedLine: (count) => `dropped ${count}`,
      write: (_fd, buffer, callback) => {
        const part = buffer.subarray(0, Math.min(3, buffer.length));
        taken.push(part.toString());
        setImmediate(() => callback(null, part.length));
      },
    });
    writer.line('abcdefg');
    writer.line('hi');
    await writer.flush(1000);
    assert.equal(taken.join(''), 'abcdefg\nhi\n');
  });

  it('stops writing when the reader is gone (EPIPE) and counts what it could not write', async () => {
    let writes = 0;
    const writer = new LineWriter({
      fd: 99,
      maxQueuedBytes: 1024,
      droppedLine: (count) => `dropped ${count}`,
      write: (_fd, _buffer, callback) => {
        writes++;
        setImmediate(() => callback(Object.assign(new Error('broken pipe'), { code: 'EPIPE' }), 0));
      },
    });
    writer.line('one');
    writer.line('two');
    await writer.flush(1000);
    writer.line('three');
    assert.equal(writes, 1);
    assert.equal(writer.dropped, 3);
  });
});
