import fs from 'node:fs';
import path from 'node:path';

/**
 * An append-only JSON Lines file. Each record is serialised to one line and written with a single write() on a file
 * opened for append, then flushed with fdatasync: a kill -9 of any process leaves whole lines only, and a power loss
 * at worst a torn last line, which `repairTornTail` cuts away on the next start.
 */
export class JsonlFile {
  private readonly fd: number;
  private lines: number;

  private constructor(
    readonly file: string,
    fd: number,
    lines: number,
    private readonly durable: boolean,
  ) {
    this.fd = fd;
    this.lines = lines;
  }

  /** Opens (creating if needed) and repairs a torn last line. `durable` flushes every record to the disk. */
  static open(file: string, options: { durable: boolean }): JsonlFile {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    repairTornTail(file);
    const lines = countLines(file);
    const fd = fs.openSync(file, 'a', 0o600);
    return new JsonlFile(file, fd, lines, options.durable);
  }

  /** Appends one record; returns its 1-based line number once it is written (and, if durable, on disk). */
  append(record: unknown): number {
    const line = `${JSON.stringify(record)}\n`;
    fs.writeSync(this.fd, line);
    if (this.durable) fs.fdatasyncSync(this.fd);
    this.lines += 1;
    return this.lines;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Cuts a file back to its last newline if its last line is incomplete. Returns the bytes removed. */
export function repairTornTail(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return 0;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const length = end - start;
      fs.readSync(fd, chunk, 0, length, start);
      const newline = chunk.subarray(0, length).lastIndexOf(0x0a);
      if (newline !== -1) {
        const keep = start + newline + 1;
        if (keep < size) {
          fs.ftruncateSync(fd, keep);
          fs.fsyncSync(fd);
        }
        return size - keep;
      }
      end = start;
    }
    fs.ftruncateSync(fd, 0);
    fs.fsyncSync(fd);
    return size;
  } finally {
    fs.closeSync(fd);
  }
}

function countLines(file: string): number {
  let count = 0;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const chunk = Buffer.alloc(256 * 1024);
    let position = 0;
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) return count;
      for (let i = 0; i < read; i++) if (chunk[i] === 0x0a) count++;
      position += read;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads every complete record of a JSONL file; a line that does not parse is reported, not thrown. */
export function readJsonl<T>(file: string): { records: T[]; badLines: number[] } {
  const records: T[] = [];
  const badLines: number[] = [];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records, badLines };
    throw error;
  }
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line === '') return;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      badLines.push(index + 1);
    }
  });
  return { records, badLines };
}
