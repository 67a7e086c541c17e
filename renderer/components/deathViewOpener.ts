import { useSyncExternalStore } from 'react';

/**
 * Which death's view is open, shared by everything that opens one (a card, a chart marker, the alert) and the one
 * dialog that shows it, without threading a callback through every component between them.
 */
let openId: string | null = null;
/** Where focus was when the view opened: it goes back there when the view closes. */
let opener: HTMLElement | null = null;
const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

export function openDeathView(id: string): void {
  opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  openId = id;
  notify();
}

export function closeDeathView(): void {
  openId = null;
  notify();
  const back = opener;
  opener = null;
  if (back?.isConnected) back.focus();
}

export function useOpenDeath(): string | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => openId,
  );
}
