import fs from 'node:fs';
import path from 'node:path';

import { writeAll, type WriteOnce } from './writeAll.js';

/** The system calls an append makes; the tests hand in ones that fail part-way. */
export interface AppendIo {
  write: WriteOnce;
  fdatasync(fd: number): void;
  ftruncate(fd: number, length: number): void;
  /** The file's size now. */
  size(fd: number): number;
}

export const NODE_APPEND_IO: AppendIo = {
  write: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  fdatasync: (fd) => fs.fdatasyncSync(fd),
  ftruncate: (fd, length) => fs.ftruncateSync(fd, length),
  size: (fd) => fs.fstatSync(fd).size,
};

export interface LineFileOptions {
  /** Flushes every line to the disk (fdatasync) before the append returns. */
  durable: boolean;
  io?: AppendIo;
}

type Opened = [file: string, fd: number, lines: number, durable: boolean, io: AppendIo];

/**
 * An append-only file of lines, each written whole or not at all. A line is written with as many write() calls as
 * it takes (a filling disk writes part of it and fails on the rest), then flushed if durable; when anything fails,
 * the file is cut back to its size before the append and the error is thrown, so the caller knows the line is not
 * there and the next line never starts mid-line. Should even the cut fail (EIO), it is tried again before the next
 * append, which is refused until it succeeds. A kill -9 leaves whole lines only; a power loss at worst a torn last
 * line, which `repairTornTail` cuts away on the next open.
 */
export class LineFile {
  /** Where the file must be cut back to before anything more is appended: a cut that failed. */
  private cutTo: number | null = null;

  protected constructor(
    readonly file: string,
    private readonly fd: number,
    private lines: number,
    private readonly durable: boolean,
    private readonly io: AppendIo,
  ) {}

  /** Opens (creating if needed) and repairs a torn last line. */
  static open(file: string, options: LineFileOptions): LineFile {
    return new LineFile(...openLines(file, options));
  }

  /** Appends one line (a newline in `text` becomes a space); returns its 1-based number once it is whole in the file. */
  appendLine(text: string): number {
    if (this.cutTo !== null) {
      this.io.ftruncate(this.fd, this.cutTo);
      this.cutTo = null;
    }
    const start = this.io.size(this.fd);
    try {
      writeAll(this.fd, `${text.replace(/\n/g, ' ')}\n`, this.io.write);
      if (this.durable) this.io.fdatasync(this.fd);
    } catch (error) {
      this.cutBack(start);
      throw error;
    }
    this.lines += 1;
    return this.lines;
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private cutBack(size: number): void {
    try {
      this.io.ftruncate(this.fd, size);
    } catch {
      this.cutTo = size;
    }
  }
}

/** A JSON Lines file: one record per line, each serialised by JSON.stringify (which never writes a raw newline). */
export class JsonlFile extends LineFile {
  static override open(file: string, options: LineFileOptions): JsonlFile {
    return new JsonlFile(...openLines(file, options));
  }

  /** Appends one record; returns its line number once it is whole in the file (and, if durable, on disk). Throws,
   * having cut the file back, when it could not be written. */
  append(record: unknown): number {
    return this.appendLine(JSON.stringify(record));
  }
}

function openLines(file: string, options: LineFileOptions): Opened {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  repairTornTail(file);
  const lines = countLines(file);
  const fd = fs.openSync(file, 'a', 0o600);
  return [file, fd, lines, options.durable, options.io ?? NODE_APPEND_IO];
}

/** A file not there yet is an empty one to the readers below; any other failure to open it is an error. */
function openIfExists(file: string, flags: 'r' | 'r+'): number | null {
  try {
    return fs.openSync(file, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Cuts a file back to its last newline if its last line is incomplete. Returns the bytes removed. */
export function repairTornTail(file: string): number {
  const fd = openIfExists(file, 'r+');
  if (fd === null) return 0;
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
  const fd = openIfExists(file, 'r');
  if (fd === null) return 0;
  let count = 0;
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
