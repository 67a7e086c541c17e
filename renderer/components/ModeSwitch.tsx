import { useState } from 'react';

import { SETTING_LABELS } from '../../shared/settings.js';
import type { Call } from '../client/call.js';
import { useCall } from '../client/useCall.js';

/** Single or matrix, switched live after a confirmation: the running instances stop gracefully first. */
export function ModeSwitch({ mode, call }: { mode: 'single' | 'matrix'; call: Call }) {
  const [asking, setAsking] = useState<'single' | 'matrix' | null>(null);
  const { run, pending: busy, error, clear } = useCall(call);
  const confirm = async () => {
    if (!asking) return;
    await run('mode.switch', { mode: asking });
    setAsking(null);
  };
  return (
    <div className="mode-switch" role="group" aria-label={SETTING_LABELS.mode.label} title={SETTING_LABELS.mode.help}>
      {(['single', 'matrix'] as const).map((option) => (
        <button
          key={option}
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
        <span className="confirm" role="alertdialog" aria-label="Confirm the mode switch">
          Switch to {asking}? The running minds stop gracefully first.
          <button type="button" onClick={() => void confirm()} disabled={busy} autoFocus>
            Switch
          </button>
          <button type="button" onClick={() => setAsking(null)} disabled={busy}>
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
