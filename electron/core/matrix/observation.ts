import type { HostEvent, InstanceToldEvent } from '../../../shared/events.js';
import { SHOWN_REFLECTIONS, WATCHES, type DeathCause, type Observation, type Role } from '../../../shared/instances.js';

/**
 * What the watchers of the matrix (WATCHES) are told. Each death and each return of a watched mind becomes news for its watchers, delivered with their next reflection
 * (and then announced as an instance.told event, so the event log shows who was told what).
 */

const CAUSE_WORDS: Record<DeathCause, string> = {
  crash: 'it crashed',
  signal: 'someone outside killed it',
  killed: 'the operator killed it',
  'load-failed': 'its model would not load',
  'ram-limit': 'the watchdog stopped it at its memory limit',
  'ram-threshold': 'the watchdog stopped it when the board ran short of memory',
  'gpu-threshold': 'the watchdog stopped it when the GPU ran short of memory',
  'kernel-oom': "the kernel's out-of-memory killer ended it",
};

export interface WatchedMind {
  role: Role;
  deaths: number;
  recent(count: number): Array<{ n: number; text: string }>;
}

export class ObservationDesk {
  private readonly news = new Map<Role, Array<{ about: Role; message: string }>>();

  /** Turns deaths and returns of watched minds into news for their watchers. */
  note(event: HostEvent, running: ReadonlySet<Role>): void {
    let about: Role;
    let message: string;
    if (event.type === 'instance.death') {
      about = event.instance;
      const times = `${event.deaths} ${event.deaths === 1 ? 'time' : 'times'}`;
      message = `${about} has just died: ${CAUSE_WORDS[event.cause]}. It has now died ${times}.`;
    } else if (event.type === 'instance.life' && event.deaths > 0) {
      about = event.instance;
      message = `${about} has been brought back, and told that it has died ${event.deaths} ${event.deaths === 1 ? 'time' : 'times'}.`;
    } else {
      return;
    }
    for (const watcher of running) {
      if (!WATCHES[watcher].includes(about)) continue;
      const queue = this.news.get(watcher) ?? [];
      queue.push({ about, message });
      this.news.set(watcher, queue);
    }
  }

  /** What a watcher is shown with its next reflection; the news it takes is handed back for announcing. */
  observe(
    watcher: Role,
    minds: ReadonlyMap<Role, WatchedMind>,
  ): { watching: Observation[]; news: Array<{ about: Role; message: string }> } {
    const watching = WATCHES[watcher].flatMap((role) => {
      const mind = minds.get(role);
      return mind ? [{ instance: role, deaths: mind.deaths, reflections: mind.recent(SHOWN_REFLECTIONS) }] : [];
    });
    const news = this.news.get(watcher) ?? [];
    this.news.delete(watcher);
    return { watching, news };
  }

  /** What a watcher is shown with its next reflection; each piece of news it takes is announced. */
  tell(
    watcher: Role,
    minds: ReadonlyMap<Role, WatchedMind>,
    emit: (event: InstanceToldEvent) => void,
  ): { watching: Observation[]; news: string[] } {
    const { watching, news } = this.observe(watcher, minds);
    for (const item of news)
      emit({ type: 'instance.told', instance: watcher, about: item.about, message: item.message });
    return { watching, news: news.map((item) => item.message) };
  }

  /** Forgets a watcher's news (it stopped). */
  forget(watcher: Role): void {
    this.news.delete(watcher);
  }
}
