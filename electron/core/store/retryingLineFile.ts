import type { LineSink } from './rotatingLineFile.js';

/** What the session's files hold in memory for a disk that refuses them, and what they had to let go. */
export interface HeldCounts {
  /** Lines waiting in memory, in order, for the disk to take them. */
  held: number;
  /** Lines dropped (the oldest held first) because the memory set aside for them was full. */
  lost: number;
}

interface HeldLine {
  text: string;
  bytes: number;
  onWritten: ((line: number) => void) | undefined;
}

/** Memory a file may hold for a full disk: about a thousand reflections of a real model. */
export const MAX_HELD_BYTES = 2 * 1024 * 1024;

/**
 * A line file that keeps what the disk refuses: a line that cannot be written (the file is cut back to its last
 * whole line) is held in memory, and so is every line after it, so the order in the file stays the order of the
 * appends. `retry` writes the held lines, oldest first, when the disk takes them again. The memory is bounded:
 * past `maxHeldBytes` the oldest held lines are dropped and counted as lost. `onWritten` is called with the line
 * number only when the line is whole in the file: at once, on a later retry, or never (lost).
 */
export class RetryingLineFile {
  private file: LineSink | null = null;
  private readonly waiting: HeldLine[] = [];
  private waitingBytes = 0;
  private lostLines = 0;

  constructor(
    private readonly open: () => LineSink,
    private readonly failed: (error: Error) => void,
    private readonly maxHeldBytes = MAX_HELD_BYTES,
  ) {}

  get path(): string | null {
    return this.file?.file ?? null;
  }

  /** Writes the line now if nothing is waiting before it and the disk takes it; true when it is in the file. */
  append(text: string, onWritten?: (line: number) => void): boolean {
    const number = this.waiting.length === 0 ? this.write(text) : null;
    if (number === null) {
      this.hold({ text, bytes: Buffer.byteLength(text), onWritten });
      return false;
    }
    onWritten?.(number);
    return true;
  }

  /** Writes what is held, oldest first, until the disk refuses again; true when nothing is held any more. */
  retry(): boolean {
    while (this.waiting.length > 0) {
      const number = this.write(this.waiting[0]!.text);
      if (number === null) return false;
      const line = this.waiting.shift()!;
      this.waitingBytes -= line.bytes;
      line.onWritten?.(number);
    }
    return true;
  }

  counts(): HeldCounts {
    return { held: this.waiting.length, lost: this.lostLines };
  }

  /** Closes the file; what is still held is lost with the process. */
  close(): void {
    this.file?.close();
    this.file = null;
  }

  /** The line's number once it is in the file, or null (the failure reported). */
  private write(text: string): number | null {
    try {
      this.file ??= this.open();
      return this.file.appendLine(text);
    } catch (error) {
      this.failed(error as Error);
      return null;
    }
  }

  private hold(line: HeldLine): void {
    this.waiting.push(line);
    this.waitingBytes += line.bytes;
    while (this.waitingBytes > this.maxHeldBytes && this.waiting.length > 1) {
      this.waitingBytes -= this.waiting.shift()!.bytes;
      this.lostLines += 1;
    }
  }
}
