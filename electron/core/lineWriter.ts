import fs from 'node:fs';

/**
 * Lines to a file descriptor (the host's stdout: --json-events, or the terminal's lines) without ever blocking the
 * event loop the watchdog samples on. Node writes to a pipe synchronously on Linux, so a reader that stops reading
 * (a stuck log shipper, a paused `| less`) would stall the host once the pipe's 64 KB are full. Here one fs.write is
 * in flight at a time, in libuv's thread pool; what waits behind it is held up to `maxQueuedBytes`, and lines past
 * that are dropped and counted, and the reader is told how many when the writes flow again.
 */

export interface LineWriterOptions {
  fd: number;
  /** How much may wait behind a slow reader before lines are dropped. */
  maxQueuedBytes: number;
  /** The line that tells the reader `count` lines were dropped (a JSON event under --json-events). */
  droppedLine: (count: number) => string;
  /** For the tests: the write, as fs.write does it. */
  write?: (
    fd: number,
    buffer: Buffer,
    callback: (error: NodeJS.ErrnoException | null, written: number) => void,
  ) => void;
}

/** How long to wait before writing again to a descriptor that said EAGAIN (it was opened non-blocking). */
const RETRY_MS = 20;

export class LineWriter {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing = false;
  private droppedSinceNotice = 0;
  private droppedTotal = 0;
  /** The reader went away (EPIPE) or the descriptor is unusable: nothing more is written. */
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly write: NonNullable<LineWriterOptions['write']>;

  constructor(private readonly options: LineWriterOptions) {
    this.write = options.write ?? ((fd, buffer, callback) => fs.write(fd, buffer, 0, buffer.length, null, callback));
  }

  /** Lines dropped since the start, behind a reader too slow (or gone). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Queues one line (without its newline); never throws, never blocks. */
  line(text: string): void {
    if (this.closed) {
      this.droppedTotal++;
      return;
    }
    const buffer = Buffer.from(`${text}\n`, 'utf8');
    if (this.queuedBytes + buffer.length > this.options.maxQueuedBytes) {
      this.droppedSinceNotice++;
      this.droppedTotal++;
      return;
    }
    this.enqueue(buffer);
  }

  /** Resolves once every queued line is written, or after `timeoutMs` (a reader that never reads must not hold an exit). */
  flush(timeoutMs: number): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }

  private enqueue(buffer: Buffer): void {
    this.queue.push(buffer);
    this.queuedBytes += buffer.length;
    if (!this.writing) this.next();
  }

  private next(): void {
    if (this.droppedSinceNotice > 0 && !this.closed) {
      // Told before what comes after the gap, so the reader knows where the gap is.
      const notice = Buffer.from(`${this.options.droppedLine(this.droppedSinceNotice)}\n`, 'utf8');
      this.droppedSinceNotice = 0;
      this.queue.unshift(notice);
      this.queuedBytes += notice.length;
    }
    const head = this.queue[0];
    if (head === undefined || this.closed) {
      this.writing = false;
      for (const waiter of this.idleWaiters.splice(0)) waiter();
      return;
    }
    this.writing = true;
    this.write(this.options.fd, head, (error, written) => {
      if (error) {
        if (error.code === 'EAGAIN') {
          setTimeout(() => this.next(), RETRY_MS).unref();
          return;
        }
        // EPIPE (the reader is gone), EBADF: nothing will ever be read; what waits is dropped, and counted.
        this.closed = true;
        this.droppedTotal += this.queue.length;
        this.queue.length = 0;
        this.queuedBytes = 0;
        this.next();
        return;
      }
      this.queuedBytes -= written;
      // A pipe may take part of a buffer; the rest goes first next time, so no line is torn or reordered.
      if (written < head.length) this.queue[0] = head.subarray(written);
      else this.queue.shift();
      this.next();
    });
  }
}
