import fs from 'node:fs';

import { LineFile, type LineFileOptions } from './jsonlFile.js';

/** What RetryingLineFile appends to: a LineFile, or one that rotates. */
export interface LineSink {
  readonly file: string;
  /** The line's 1-based number in the file it landed in, once it is whole there; throws when it is not. */
  appendLine(text: string): number;
  close(): void;
}

/**
 * A line file with a size cap, for logs that grow with every death for as long as the board runs (the original
 * froze 7500+ times): once the next line would take it past `maxBytes`, the file is renamed to `<file>.1` (the
 * previous `.1` goes) and a new one begun, so the log and its one predecessor never hold more than twice the cap.
 */
export class RotatingLineFile implements LineSink {
  /** Null after a rotation whose new file did not open: the next append opens it. */
  private current: LineFile | null;
  private bytes: number;

  private constructor(
    readonly file: string,
    private readonly options: LineFileOptions & { maxBytes: number },
  ) {
    this.current = LineFile.open(file, options);
    this.bytes = fs.statSync(file).size;
  }

  static open(file: string, options: LineFileOptions & { maxBytes: number }): RotatingLineFile {
    return new RotatingLineFile(file, options);
  }

  appendLine(text: string): number {
    const length = Buffer.byteLength(text) + 1;
    if (this.bytes > 0 && this.bytes + length > this.options.maxBytes) this.rotate();
    this.current ??= LineFile.open(this.file, this.options);
    const number = this.current.appendLine(text);
    this.bytes += length;
    return number;
  }

  close(): void {
    this.current?.close();
    this.current = null;
  }

  private rotate(): void {
    // Renamed before the new file opens: should it not open (a full disk), the old lines are kept under .1 and the
    // next append (the caller's retry) opens it.
    fs.renameSync(this.file, `${this.file}.1`);
    this.close();
    this.bytes = 0;
  }
}
