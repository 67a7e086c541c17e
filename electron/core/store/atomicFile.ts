import fs from 'node:fs';
import path from 'node:path';

/**
 * Replaces a file so that a crash at any moment leaves either the old content or the new, never a mix:
 * write a temporary file, fsync it, rename it over the target, fsync the folder so the rename itself is durable.
 * A write that fails removes its temporary file; one a crash interrupts leaves it, named by `temporaryPathOf`.
 */
export function writeFileAtomic(file: string, content: string): void {
  const directory = path.dirname(file);
  fs.mkdirSync(directory, { recursive: true });
  const temporary = temporaryPathOf(file);
  try {
    const fd = fs.openSync(temporary, 'w', 0o600);
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
  fsyncDirectory(directory);
}

/**
 * The same replacement without blocking the event loop the watchdog samples on: every step (write, fsync, rename,
 * fsync of the folder) runs in libuv's thread pool. Callers keep one write per file in flight (LatestFile), so the
 * one temporary name per process is never shared.
 */
export async function writeFileAtomicAsync(file: string, content: string): Promise<void> {
  const directory = path.dirname(file);
  await fs.promises.mkdir(directory, { recursive: true });
  const temporary = temporaryPathOf(file);
  try {
    const handle = await fs.promises.open(temporary, 'w', 0o600);
    try {
      // writeFile loops until every byte is written: a short write never leaves a shorter file.
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.unlink(temporary).catch(() => undefined);
    throw error;
  }
  const folder = await fs.promises.open(directory, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** `.settings.json.<pid>.tmp` beside settings.json: a start can tell its own leftovers from a dead process's. */
export function temporaryPathOf(file: string, pid: number = process.pid): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${pid}.tmp`);
}

/** Removes a temporary file if it is there; the error that made it useless is the one worth reporting. */
function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Never written, or not ours to remove.
  }
}

export function fsyncDirectory(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
