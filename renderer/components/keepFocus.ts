import { useLayoutEffect, useRef, type FocusEvent, type RefObject } from 'react';

/**
 * Keeps the keyboard's place in a row of buttons that disable themselves: Kill disables Kill (the instance is dying)
 * and Stop disables Stop, and a focused button that becomes disabled drops focus to the page, so the next Tab starts
 * again from the top. Focus moves instead to the nearest button still enabled, to the left first (after Kill: Stop;
 * after Stop: Start), or to `fallback` when none is.
 */
export function useKeepFocus(fallback: RefObject<HTMLElement | null>) {
  const row = useRef<HTMLDivElement>(null);
  const last = useRef<HTMLButtonElement | null>(null);
  useLayoutEffect(() => {
    const button = last.current;
    if (!button || !button.disabled || !row.current) return;
    const active = document.activeElement;
    if (active !== button && active !== document.body && active !== null) return;
    const buttons = [...row.current.querySelectorAll('button')];
    const at = buttons.indexOf(button);
    const enabled = (candidate: HTMLButtonElement | undefined) => candidate !== undefined && !candidate.disabled;
    const left = buttons.slice(0, Math.max(0, at)).reverse().find(enabled);
    const next = left ?? buttons.slice(at + 1).find(enabled) ?? fallback.current;
    last.current = next instanceof HTMLButtonElement ? next : null;
    next?.focus();
  });
  return {
    ref: row,
    onFocus: (event: FocusEvent<HTMLDivElement>) => {
      if (event.target instanceof HTMLButtonElement) last.current = event.target;
    },
    onBlur: (event: FocusEvent<HTMLDivElement>) => {
      // Focus taken elsewhere on purpose is the reader's choice; a blur to nothing may be the button disabling.
      if (event.relatedTarget && !row.current?.contains(event.relatedTarget as Node)) last.current = null;
    },
  };
}
