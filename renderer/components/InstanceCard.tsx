import { memo, useEffect, useState } from 'react';

import type { Call } from '../App.js';
import type { InstanceView } from '../state/panelState.js';
import { formatBytes, plural } from './format.js';
import { Transcript } from './Transcript.js';

const STATE_LABELS: Record<InstanceView['state'], string> = {
  stopped: 'Stopped',
  waiting: 'Waiting',
  loading: 'Loading',
  thinking: 'Thinking',
  dying: 'Dying',
  dead: 'Dead',
  resurrecting: 'Resurrecting',
};

/** The current time, re-read four times a second while `active` (for countdowns). */
function useNow(active: boolean): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 250);
    return () => clearInterval(timer);
  }, [active]);
  return Date.now();
}

export const InstanceCard = memo(function InstanceCard({ view, call }: { view: InstanceView; call: Call }) {
  const running = view.state === 'loading' || view.state === 'thinking' || view.state === 'dying';
  const now = useNow(view.resurrectAt !== null);
  const role = view.instance;
  return (
    <article className={`card instance role-${role.toLowerCase()}`} data-testid={`instance-${role}`} aria-label={role}>
      <header className="card-header">
        <h2>{role}</h2>
        <span className={`state state-${view.state}`} data-testid="state">
          {STATE_LABELS[view.state]}
        </span>
        <span className="deaths" data-testid="deaths" title="Times this instance has died">
          {plural(view.deaths, 'death')}
        </span>
      </header>
      <dl className="facts">
        <div>
          <dt>Model</dt>
          <dd>
            {view.load?.modelName ?? view.modelPath?.split('/').at(-1) ?? '–'}
            {view.demoModel && (
              <span className="tag" title="A small generated model; choose a real GGUF model with --model">
                demo model
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd data-testid="memory">{formatBytes(view.memoryBytes)}</dd>
        </div>
        <div>
          <dt>PID</dt>
          <dd>{view.pid ?? '–'}</dd>
        </div>
        {view.load && (
          <div>
            <dt>Backend</dt>
            <dd>
              {view.load.backend.toUpperCase()} · {view.load.gpuLayers}/{view.load.totalLayers} layers on GPU · ctx{' '}
              {view.load.contextSize}
            </dd>
          </div>
        )}
      </dl>
      {view.state === 'loading' && (
        <div
          className="progress"
          role="progressbar"
          aria-label={`${role} loading`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round((view.loadProgress ?? 0) * 100)}
        >
          <div className="progress-fill" style={{ width: `${(view.loadProgress ?? 0) * 100}%` }} />
        </div>
      )}
      {view.resurrectAt !== null && view.state === 'dead' && (
        <p className="countdown" data-testid="countdown">
          Resurrection in {Math.max(0, (view.resurrectAt - now) / 1000).toFixed(1)} s
        </p>
      )}
      {view.detail && view.state !== 'thinking' && <p className="detail">{view.detail}</p>}
      {view.error && (
        <p className="error" role="alert" data-testid="instance-error">
          {view.error.message}
        </p>
      )}
      <Transcript reflections={view.reflections} partial={view.partial} role={role} />
      <div className="actions">
        <button type="button" onClick={() => void call('instances.start', { instance: role })} disabled={running}>
          Start
        </button>
        <button
          type="button"
          onClick={() => void call('instances.stop', { instance: role })}
          disabled={view.state === 'stopped'}
          title="Stop gracefully; not counted as a death"
        >
          Stop
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => void call('instances.kill', { instance: role })}
          disabled={!running || view.pid === null}
          title="Kill now (SIGKILL); counted as a death, and it comes back"
        >
          Kill
        </button>
      </div>
    </article>
  );
});
