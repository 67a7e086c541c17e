import { useEffect, useRef, useState } from 'react';

import { SETTING_LABELS } from '../../shared/settings.js';
import type { Call } from '../client/call.js';
import { useCall } from '../client/useCall.js';

type Mode = 'single' | 'matrix';

/** Single or matrix, switched live after a confirmation: the running instances stop gracefully first. */
export function ModeSwitch({ mode, call }: { mode: Mode; call: Call }) {
  const [asking, setAsking] = useState<Mode | null>(null);
  const { run, pending: busy, error, clear } = useCall(call);
  const buttons = useRef<Partial<Record<Mode, HTMLButtonElement | null>>>({});
  // The confirmation's buttons vanish with it and the mode buttons are disabled while it switches: focus goes back to
  // the mode button it was about, once that is enabled again, rather than to the page.
  const [focusTo, setFocusTo] = useState<Mode | null>(null);
  useEffect(() => {
    if (focusTo === null || busy) return;
    buttons.current[focusTo]?.focus();
    setFocusTo(null);
  }, [focusTo, busy]);
  const close = (target: Mode) => {
    setAsking(null);
    setFocusTo(target);
  };
  const confirm = async () => {
    if (!asking) return;
    const target = asking;
    await run('mode.switch', { mode: target });
    close(target);
  };
  return (
    <div className="mode-switch" role="group" aria-label={SETTING_LABELS.mode.label} title={SETTING_LABELS.mode.help}>
      {(['single', 'matrix'] as const).map((option) => (
        <button
          key={option}
          ref={(element) => {
            buttons.current[option] = element;
          }}
          type="button"
          aria-pressed={mode === option}
          className={mode === option ? 'selected' : ''}
          disabled={busy}
          onClick={() => {
            clear();
            if (option !== mode) setAsking(option);
          }}
        >
          {option === 'single' ? 'Single' : 'Matrix'}
        </button>
      ))}
      {asking && (
        <span
          className="confirm"
          role="alertdialog"
          aria-label="Confirm the mode switch"
          onKeyDown={(event) => {
            if (event.key === 'Escape' && !busy) {
              event.preventDefault();
              close(asking);
            }
          }}
        >
          Switch to {asking}? The running minds stop gracefully first.
          <button type="button" onClick={() => void confirm()} disabled={busy} autoFocus>
            Switch
          </button>
          <button type="button" onClick={() => close(asking)} disabled={busy}>
            Cancel
          </button>
        </span>
      )}
      {error && (
        <span className="field-error" role="alert" data-testid="mode-error">
          {error.message}
        </span>
      )}
    </div>
  );
}
