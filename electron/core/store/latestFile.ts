import { writeFileAtomicAsync } from './atomicFile.js';

/** What a write came to: null once the content is on disk, else the error that stopped it. */
export type WriteOutcome = Error | null;

/**
 * A small file that is replaced again and again (settings.json): each replacement atomic and off the event loop, at
 * most one in flight, and what is asked for while one runs coalesced into a single follow-up write of the latest
 * content. 300 changes in a burst cost two or three writes, not 300 fsyncs.
 */
export class LatestFile {
  /** Content asked for and not yet taken by a write. */
  private latest: string | null = null;
  /** The write that will take `latest`, once the one in flight is done. */
  private queued: Promise<WriteOutcome> | null = null;
  private running: Promise<WriteOutcome> = Promise.resolve(null);
  /** Writes started, for the tests and benchmarks to count. */
  writes = 0;

  constructor(readonly file: string) {}

  /** Resolves (never rejects) once a write holding this content, or later content, has finished. */
  write(content: string): Promise<WriteOutcome> {
    this.latest = content;
    this.queued ??= this.running.then(() => this.startWrite());
    return this.queued;
  }

  /** Resolves once every write asked for so far has finished. */
  settled(): Promise<WriteOutcome> {
    return this.queued ?? this.running;
  }

  private startWrite(): Promise<WriteOutcome> {
    const content = this.latest!;
    this.latest = null;
    // From here on, a new write() queues behind this one.
    this.queued = null;
    this.writes++;
    this.running = writeFileAtomicAsync(this.file, content).then(
      () => null,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    return this.running;
  }
}
