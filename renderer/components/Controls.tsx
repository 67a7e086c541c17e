import { useState, type FormEvent } from 'react';

import type { MethodParams } from '../../shared/api.js';
import type { ApiError } from '../../shared/errors.js';
import type { Role } from '../../shared/instances.js';
import { gbApart } from '../../shared/limitFigures.js';
import { SETTING_LABELS, type Settings } from '../../shared/settings.js';
import type { Call } from '../client/call.js';
import { budgetOf, limitOf, limitsOf, typedLimitProblem } from '../state/limits.js';
import type { PanelState } from '../state/panelState.js';
import { Applies } from './Applies.js';
import { formatBytes, GB } from './format.js';

type Patch = MethodParams<'settings.set'>;

/** What was typed, as a number when it reads as one; otherwise as typed, for the host to refuse with its reason. */
function typed(text: string): number | string {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : text;
}

/** The watchdog's numbers; their labels, help, units and when they apply come from the settings table. */
const WATCHDOG_FIELDS = ['ramThreshold', 'gpuThreshold', 'warnThreshold', 'intervalS', 'graceS', 'thermalC'] as const;
type WatchdogField = (typeof WATCHDOG_FIELDS)[number];

/** The watchdog's numbers: each field shows the host's refusal next to it, and a refusal changes nothing. */
function WatchdogForm({ settings, call }: { settings: Settings; call: Call }) {
  const [draft, setDraft] = useState<Partial<Record<WatchdogField, string>>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const patch: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(draft)) if (text !== undefined) patch[key] = typed(text);
    if (Object.keys(patch).length === 0) return;
    const failure = await call('settings.set', patch as Patch);
    setError(failure);
    setSaved(failure === null);
    if (!failure) setDraft({});
  };
  return (
    <form className="controls-form" onSubmit={(event) => void submit(event)} aria-label="Watchdog thresholds">
      <h3>Watchdog</h3>
      {WATCHDOG_FIELDS.map((key) => {
        const id = `setting-${key}`;
        const refused = error?.field === key;
        const { label, help, applies, unit } = SETTING_LABELS[key];
        return (
          <div key={key} className="field">
            <label htmlFor={id} title={help}>
              {label} <Applies when={applies} />
            </label>
            <input
              id={id}
              name={key}
              inputMode="decimal"
              value={draft[key] ?? String(settings[key])}
              aria-invalid={refused}
              aria-describedby={refused ? `${id}-error` : undefined}
              onChange={(event) => {
                setSaved(false);
                setDraft({ ...draft, [key]: event.target.value });
              }}
            />
            <span className="unit">{unit}</span>
            {refused && (
              <span id={`${id}-error`} className="field-error" role="alert">
                {error.message}
              </span>
            )}
          </div>
        );
      })}
      <div className="field">
        <label htmlFor="setting-victimPolicy" title={SETTING_LABELS.victimPolicy.help}>
          {SETTING_LABELS.victimPolicy.label} <Applies when={SETTING_LABELS.victimPolicy.applies} />
        </label>
        <select
          id="setting-victimPolicy"
          value={settings.victimPolicy}
          onChange={(event) =>
            void call('settings.set', { victimPolicy: event.target.value as Settings['victimPolicy'] }).then(setError)
          }
        >
          <option value="largest">the largest</option>
          <option value="role-order">SUBJECT, OBSERVER, GOD</option>
        </select>
      </div>
      {error && !WATCHDOG_FIELDS.some((key) => key === error.field) && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
      <button type="submit">Apply</button>
      {saved && <span className="saved">Saved.</span>}
    </form>
  );
}

/**
 * RAM limits per instance, with the budget bar (the limits plus the system's reserve against the board) and what is
 * still free to give. Each limit is checked against the least its instance needs, with the host's own figures, as it
 * is typed: one below it is refused beside its field before Apply, and the host refuses it the same way.
 */
function LimitsForm({ state, call }: { state: PanelState; call: Call }) {
  const { label, help, applies, unit } = SETTING_LABELS.ramLimitsGb;
  const [draft, setDraft] = useState<Partial<Record<Role, string>>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const budget = budgetOf(state.plan);
  const total = budget?.ramTotalBytes ?? state.resources?.ramTotalBytes ?? 0;
  const reserve = budget?.reserveBytes ?? 0;
  const roles = state.instances.map((view) => view.instance);
  const current = (role: Role) => limitOf(state.plan, role) ?? 0;
  const preview = roles.reduce((sum, role) => {
    const text = draft[role];
    const value = text === undefined ? current(role) / GB : Number(text);
    return sum + (Number.isFinite(value) ? value * GB : 0);
  }, 0);
  const over = preview + reserve > total;
  const tooLow = (role: Role) => (draft[role] === undefined ? null : typedLimitProblem(state.plan, role, draft[role]));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ramLimitsGb: Record<string, unknown> = {};
    for (const [role, text] of Object.entries(draft)) if (text !== undefined) ramLimitsGb[role] = typed(text);
    if (Object.keys(ramLimitsGb).length === 0 || roles.some((role) => tooLow(role) !== null)) return;
    const failure = await call('settings.set', { ramLimitsGb } as Patch);
    setError(failure);
    if (!failure) setDraft({});
  };
  return (
    <form className="controls-form" onSubmit={(event) => void submit(event)} aria-label={label}>
      <h3 title={help}>
        {label} <Applies when={applies} />
      </h3>
      {roles.map((role) => {
        const id = `limit-${role}`;
        const low = tooLow(role);
        const refused =
          low !== null || (error !== null && (error.field === `ramLimitsGb.${role}` || error.field === 'ramLimits'));
        const least = limitsOf(state.plan).find((entry) => entry.instance === role)?.leastBytes ?? null;
        return (
          <div key={role} className="field">
            <label htmlFor={id}>{role}</label>
            <input
              id={id}
              inputMode="decimal"
              value={draft[role] ?? (current(role) / GB).toFixed(1)}
              aria-invalid={refused}
              aria-describedby={low !== null ? `${id}-error` : `${id}-least`}
              onChange={(event) => setDraft({ ...draft, [role]: event.target.value })}
            />
            <span className="unit">{unit}</span>
            {least !== null && (
              <span id={`${id}-least`} className="least" data-testid={`least-${role}`}>
                needs at least {gbApart(0, least).higher}
              </span>
            )}
            {low !== null && (
              <span
                id={`${id}-error`}
                className="field-error limit-error"
                role="alert"
                data-testid={`limit-error-${role}`}
              >
                {low}
              </span>
            )}
          </div>
        );
      })}
      <div className="bar budget" data-testid="budget">
        <span className="bar-label">Limits + reserve</span>
        <div
          className="bar-track"
          role="meter"
          aria-label="RAM limits and the system reserve against the board"
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={preview + reserve}
        >
          <div
            className={`bar-fill${over ? ' over' : ''}`}
            style={{ width: `${Math.min(100, ((preview + reserve) / Math.max(1, total)) * 100)}%` }}
          />
        </div>
        <span className="bar-figures">
          {formatBytes(preview)} + {formatBytes(reserve)} of {formatBytes(total)}
        </span>
      </div>
      <p className="free-to-give" data-testid="free-to-give">
        {over
          ? `${formatBytes(preview + reserve - total)} over what the board can give`
          : `Still free to give to instances: ${formatBytes(total - reserve - preview)}`}
      </p>
      {over && <p className="field-error">Over the board: the host will refuse these limits.</p>}
      {error && (
        <p className="field-error" role="alert" data-testid="limits-error">
          {error.message}
        </p>
      )}
      <button type="submit">Apply</button>
    </form>
  );
}

/** The model of each role: a path the host checks (and, under Electron, a file dialog). */
function ModelsForm({ state, call, native }: { state: PanelState; call: Call; native: boolean }) {
  const { label, help, applies } = SETTING_LABELS.models;
  const [draft, setDraft] = useState<Partial<Record<Role, string>>>({});
  const [result, setResult] = useState<Partial<Record<Role, { ok: boolean; text: string }>>>({});
  const set = async (role: Role, path: string) => {
    const failure = await call('settings.set', { models: { [role]: path } } as Patch);
    setResult({
      ...result,
      [role]: failure ? { ok: false, text: failure.message } : { ok: true, text: 'Saved: loads on its next start.' },
    });
  };
  return (
    <div className="controls-form" aria-label={label}>
      <h3 title={help}>
        {label} <Applies when={applies} />
      </h3>
      {state.instances.map((view) => {
        const role = view.instance;
        const id = `model-${role}`;
        return (
          <form
            key={role}
            className="field wide"
            onSubmit={(event) => {
              event.preventDefault();
              void set(role, draft[role] ?? view.modelPath ?? '');
            }}
          >
            <label htmlFor={id}>{role}</label>
            <input
              id={id}
              value={draft[role] ?? view.modelPath ?? ''}
              onChange={(event) => setDraft({ ...draft, [role]: event.target.value })}
            />
            {native && window.jar?.chooseModel && (
              <button
                type="button"
                onClick={() =>
                  void window.jar!.chooseModel!().then((chosen) => {
                    if (chosen) setDraft({ ...draft, [role]: chosen });
                  })
                }
              >
                Choose…
              </button>
            )}
            <button type="submit">Use</button>
            {result[role] && (
              <span className={result[role]!.ok ? 'saved' : 'field-error'} role={result[role]!.ok ? 'status' : 'alert'}>
                {result[role]!.text}
              </span>
            )}
          </form>
        );
      })}
    </div>
  );
}

export function Controls({ state, call, native }: { state: PanelState; call: Call; native: boolean }) {
  const view = state.settings!;
  return (
    <div className="controls" data-testid="controls">
      <WatchdogForm settings={view.settings} call={call} />
      <LimitsForm state={state} call={call} />
      <ModelsForm state={state} call={call} native={native} />
    </div>
  );
}
