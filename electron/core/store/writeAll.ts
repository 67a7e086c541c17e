import fs from 'node:fs';

/** One write(2): how many bytes of `buffer[offset, offset + length)` reached the file. */
export type WriteOnce = (fd: number, buffer: Buffer, offset: number, length: number) => number;

const writeOnce: WriteOnce = (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length);

/** An error in the shape the fs module throws, for the cases the kernel reports as a count instead. */
export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * Writes all of `data` or throws. A single write(2) may write less than it was given (a disk that fills up part-way
 * through takes what fits, and only the next write fails with ENOSPC); fs.writeSync returns that count without a
 * word, so a caller that does not loop keeps a fragment and believes it wrote the whole.
 */
export function writeAll(fd: number, data: Buffer | string, write: WriteOnce = writeOnce): void {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  while (done < buffer.length) {
    const wrote = write(fd, buffer, done, buffer.length - done);
    // A regular file never answers 0 for a non-empty write unless something is wrong; never spin on it.
    if (!(wrote > 0)) throw errnoError('EIO', `write() wrote nothing (${done} of ${buffer.length} bytes written)`);
    done += wrote;
  }
}
