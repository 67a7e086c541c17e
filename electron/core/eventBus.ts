import { isLogWorthy, NOT_IN_EVENTS_FILE, type HostEvent, type UnstampedEvent } from '../../shared/events.js';
import { RingBuffer } from './ringBuffer.js';
import type { SessionStore } from './store/sessionStore.js';

export type EventListener = (event: HostEvent) => void;

/** Events kept for the panel's event log. */
const EVENTS_CAPACITY = 500;

/**
 * Where every event of the host goes: stamped with its time, noted by the parts that must see it first (the
 * watchers' news), written to events.jsonl unless its record is kept elsewhere, kept for a panel that connects
 * later if the event log lists it, then handed to each subscriber.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly recentEvents = new RingBuffer<HostEvent>(EVENTS_CAPACITY, Number.POSITIVE_INFINITY, () => 0);
  private writing = true;

  constructor(
    private readonly store: SessionStore,
    private readonly first: (event: HostEvent) => void,
  ) {}

  emit(unstamped: UnstampedEvent): HostEvent {
    const event = { ...unstamped, at: unstamped.at ?? Date.now() } as HostEvent;
    this.first(event);
    if (isLogWorthy(event)) this.recentEvents.push(event);
    if (this.writing && !NOT_IN_EVENTS_FILE.has(event.type)) {
      try {
        this.store.appendEvent(event);
      } catch {
        // The events log is a convenience; the transcript and crash log carry what must not be lost.
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken client must not silence the others.
      }
    }
    return event;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The log-worthy events kept for a panel that connects now, oldest first. */
  recent(): HostEvent[] {
    return this.recentEvents.toArray();
  }

  /** The files are closing: events still go to subscribers, no longer to disk. */
  stopWriting(): void {
    this.writing = false;
  }
}
