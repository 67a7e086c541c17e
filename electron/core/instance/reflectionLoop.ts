import type { UnstampedEvent } from '../../../shared/events.js';
import type { Observation, PartialReflection, ReflectionRecord, Role } from '../../../shared/instances.js';
import type { ThinkRequest, WorkerMessage } from '../../worker/protocol.js';
import type { InstanceRecords } from './instanceRecords.js';

export interface ReflectionLoopOptions {
  role: Role;
  records: InstanceRecords;
  emit: (event: UnstampedEvent) => void;
  /** Sends a think request to the current worker. */
  send: (request: ThinkRequest) => void;
  /** The death count the mind has been told. */
  deaths: () => number;
  /** False while the next reflection must wait (the thermal guard). */
  mayThink: () => boolean;
  /** For a watcher: what it is shown with its next reflection (the watched minds, the news). */
  observe?: () => Pick<ThinkRequest, 'watching' | 'news'>;
  /** Reflections of earlier sessions the first life starts with. */
  memories: string[];
}

/** How often a reflection held by the thermal guard looks again. */
const THERMAL_RETRY_MS = 500;
/** Reflections kept in memory for the panel; the full record is on disk. */
const KEPT_REFLECTIONS = 50;
/** Reflections from earlier lives that a new life starts with. */
export const CARRIED_MEMORIES = 20;

/**
 * The thinking side of one instance: it asks the worker for one reflection at a time (each finished one is on disk
 * before the next is asked for), keeps the text being streamed, what a watcher was shown, and the memories a new
 * life carries. It knows nothing of processes: the instance tells it when a life begins and ends.
 */
export class ReflectionLoop {
  private readonly reflections: ReflectionRecord[] = [];
  /** What a watcher was shown, by reflection number, until the reflection starts. */
  private readonly shown = new Map<number, Observation[]>();
  private readonly memories: string[];
  private partial: PartialReflection | null = null;
  private nextReflection = 1;
  private thinking = false;
  private pauseMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private tokensSince = 0;
  private tokensCountedAt = Date.now();

  constructor(private readonly options: ReflectionLoopOptions) {
    this.memories = [...options.memories];
  }

  /** The memories a new life is given, oldest first. */
  carried(): string[] {
    return this.memories.slice(-CARRIED_MEMORIES);
  }

  /** A life is loaded: think, with this pause between two reflections. */
  begin(pauseMs: number): void {
    this.thinking = true;
    this.pauseMs = pauseMs;
    this.ask();
  }

  /** Takes the worker's messages about reflections; false for any other kind. */
  handle(message: WorkerMessage): boolean {
    switch (message.kind) {
      case 'reflection-start': {
        const shown = this.shown.get(message.n);
        this.shown.delete(message.n);
        this.partial = {
          n: message.n,
          deaths: message.deaths,
          text: '',
          startedAt: Date.now(),
          prompt: message.prompt,
          ...(shown ? { shown } : {}),
        };
        return true;
      }
      case 'tokens':
        this.tokensSince += message.tokens;
        if (this.partial?.n === message.n) this.partial.text += message.text;
        this.options.emit({
          type: 'instance.tokens',
          instance: this.options.role,
          n: message.n,
          text: message.text,
          tokens: message.tokens,
        });
        return true;
      case 'reflection-end':
        this.finish(message.n, message.text, message.tokens, message.complete);
        return true;
      default:
        return false;
    }
  }

  /** The life ended: no more asking; a reflection cut off by the exit is kept, marked incomplete (last words). */
  end(): void {
    this.thinking = false;
    this.clearTimer();
    const partial = this.partial;
    this.partial = null;
    if (partial && partial.text.trim() !== '') this.record({ ...partial, tokens: 0, complete: false });
  }

  get current(): PartialReflection | null {
    return this.partial;
  }

  /** The reflections kept for the panel, oldest first. */
  kept(): ReflectionRecord[] {
    return [...this.reflections];
  }

  /** The latest complete reflections, oldest first (what a watcher is shown). */
  recent(count: number): Array<{ n: number; text: string }> {
    return this.reflections
      .filter((record) => record.text.trim() !== '')
      .slice(-count)
      .map((record) => ({ n: record.n, text: record.text }));
  }

  /** Tokens per second since the last call (for the charts). */
  tokenRate(now: number): number {
    const seconds = (now - this.tokensCountedAt) / 1000;
    const rate = seconds > 0 ? this.tokensSince / seconds : 0;
    this.tokensSince = 0;
    this.tokensCountedAt = now;
    return rate;
  }

  dispose(): void {
    this.thinking = false;
    this.clearTimer();
  }

  private ask(): void {
    if (!this.thinking) return;
    if (!this.options.mayThink()) {
      this.later(THERMAL_RETRY_MS);
      return;
    }
    const request: ThinkRequest = { n: this.nextReflection++, ...this.options.observe?.() };
    if (request.watching) this.shown.set(request.n, request.watching);
    this.options.send(request);
  }

  private finish(n: number, text: string, tokens: number, complete: boolean): void {
    const partial = this.partial?.n === n ? this.partial : null;
    this.partial = null;
    const record = this.record({
      n,
      deaths: this.options.deaths(),
      text,
      tokens,
      startedAt: partial?.startedAt ?? Date.now(),
      complete,
      ...(partial?.prompt !== undefined ? { prompt: partial.prompt } : {}),
      ...(partial?.shown ? { shown: partial.shown } : {}),
    });
    if (record.text.trim() !== '') this.memories.push(record.text);
    if (this.memories.length > CARRIED_MEMORIES * 2) this.memories.splice(0, this.memories.length - CARRIED_MEMORIES);
    // The record is on disk before the next reflection is asked for.
    this.later(this.pauseMs);
  }

  private record(fields: Omit<ReflectionRecord, 'instance' | 'endedAt'>): ReflectionRecord {
    const record: ReflectionRecord = { instance: this.options.role, ...fields, endedAt: Date.now() };
    this.options.records.reflection(record);
    this.reflections.push(record);
    if (this.reflections.length > KEPT_REFLECTIONS) this.reflections.shift();
    return record;
  }

  private later(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ask();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
