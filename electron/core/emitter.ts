/**
 * Typed events for the host's parts, in the shape of VS Code's Emitter: `on` returns the listener's own dispose, and
 * a Disposables bag removes every listener a part registered with one call. One broken listener never silences the
 * others.
 */
export type Dispose = () => void;

export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  on(listener: (value: T) => void): Dispose {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // A listener's failure is its own; the part that fired goes on.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** What a part registered (listeners, timers), undone together by dispose. */
export class Disposables {
  private readonly items: Dispose[] = [];

  add(dispose: Dispose): void {
    this.items.push(dispose);
  }

  dispose(): void {
    for (const item of this.items.splice(0).reverse()) item();
  }
}
