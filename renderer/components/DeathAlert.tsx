import { useEffect, useRef, useState, useSyncExternalStore } from 'react';

import type { DeathSummary } from '../../shared/postMortem.js';
import { deathLine, newDeaths } from '../state/deaths.js';
import { openDeathView } from './deathViewOpener.js';
import { formatTime } from './format.js';

/**
 * The sound is this browser's setting, not the host's: it plays where the page is open (the board's display, or a
 * remote viewer's laptop), and one viewer turning it on must not make another's speaker beep. Off by default.
 */
const SOUND_KEY = 'jar-death-sound';
const soundListeners = new Set<() => void>();

function soundOn(): boolean {
  try {
    return localStorage.getItem(SOUND_KEY) === 'on';
  } catch {
    return false;
  }
}

function setSound(on: boolean): void {
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // A browser that keeps nothing (private mode) keeps the sound for this page only.
  }
  for (const listener of soundListeners) listener();
}

function useSound(): boolean {
  return useSyncExternalStore((listener) => {
    soundListeners.add(listener);
    return () => soundListeners.delete(listener);
  }, soundOn);
}

/** Two short falling tones, made on the spot (no sound file to ship or fetch). */
function beep(): void {
  try {
    const audio = new AudioContext();
    [880, 440].forEach((frequency, index) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.value = 0.2;
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + index * 0.25);
      tone.stop(audio.currentTime + index * 0.25 + 0.2);
    });
    setTimeout(() => void audio.close(), 1000);
  } catch {
    // No audio device: the title and the banner still say it.
  }
}

/** The alert's one setting, in the Controls tab. */
export function AlertSettings() {
  const on = useSound();
  return (
    <fieldset className="alert-settings">
      <legend>Alerts</legend>
      <label>
        <input type="checkbox" checked={on} onChange={(event) => setSound(event.target.checked)} /> Sound on a death
        (this browser only)
      </label>
    </fieldset>
  );
}

/**
 * On a death that arrives while the page is open: the page's title and a banner say who died and why (and a sound,
 * when turned on), until dismissed. Deaths the page found on connect are on the cards, not announced again.
 */
export function DeathAlert({ deaths }: { deaths: readonly DeathSummary[] }) {
  const seen = useRef<Set<string> | null>(null);
  const title = useRef(document.title);
  const [alert, setAlert] = useState<{ death: DeathSummary; more: number } | null>(null);
  const sound = useSound();

  useEffect(() => {
    if (seen.current === null) {
      seen.current = new Set(deaths.map((death) => death.id));
      return;
    }
    const fresh = newDeaths(deaths, seen.current);
    if (fresh.length === 0) return;
    for (const death of fresh) seen.current.add(death.id);
    setAlert((before) => ({ death: fresh.at(-1)!, more: (before ? before.more + 1 : 0) + fresh.length - 1 }));
    if (sound) beep();
  }, [deaths, sound]);

  useEffect(() => {
    const original = title.current;
    document.title = alert ? `☠ ${deathLine(alert.death)} · ${original}` : original;
  }, [alert]);

  if (!alert) return null;
  const { death, more } = alert;
  return (
    <div className="notice death-alert" role="alert" data-testid="death-alert">
      <span>
        {deathLine(death)}, at {formatTime(death.at)}
        {more > 0 ? ` (and ${more} more since)` : ''}
      </span>
      <button type="button" onClick={() => openDeathView(death.id)}>
        The minute before it
      </button>
      <button type="button" onClick={() => setAlert(null)} aria-label="Dismiss the death alert">
        ×
      </button>
    </div>
  );
}
