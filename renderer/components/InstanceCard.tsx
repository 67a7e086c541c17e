import { memo, useEffect, useRef, useState } from 'react';

import type { Role } from '../../shared/instances.js';
import { LIMIT_ACTION_FRACTION } from '../../shared/watchdog.js';
import type { Headroom } from '../state/headroom.js';
import type { Call } from '../client/call.js';
import type { InstanceView } from '../state/panelState.js';
import { formatBytes, plural } from './format.js';
import { CardHeadroom, sameHeadroom } from './HeadroomBar.js';
import { useKeepFocus } from './keepFocus.js';
import { Transcript } from './Transcript.js';

const STATE_LABELS: Record<InstanceView['state'], string> = {
  stopped: 'Stopped',
  waiting: 'Waiting',
  loading: 'Loading',
  thinking: 'Thinking',
  dying: 'Dying',
  dead: 'Dead',
  resurrecting: 'Resurrecting',
  blocked: 'Needs the operator',
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

interface Watched {
  instance: Role;
  deaths: number;
}

interface CardProps {
  view: InstanceView;
  call: Call;
  held: string | null;
  layerCap: number | null;
  limitBytes: number | null;
  /** Its memory against the watchdog's line, from the latest frame; null while it does not run. */
  headroom: Headroom | null;
  watched: Watched[];
}

/** The same card unless something on it changed: `watched` is rebuilt on every render, so it is compared by content. */
function sameCard(before: CardProps, after: CardProps): boolean {
  return (
    before.view === after.view &&
    before.call === after.call &&
    before.held === after.held &&
    before.layerCap === after.layerCap &&
    before.limitBytes === after.limitBytes &&
    sameHeadroom(before.headroom, after.headroom) &&
    before.watched.length === after.watched.length &&
    before.watched.every(
      (other, index) =>
        other.instance === after.watched[index]!.instance && other.deaths === after.watched[index]!.deaths,
    )
  );
}

export const InstanceCard = memo(function InstanceCard({
  view,
  call,
  held,
  layerCap,
  limitBytes,
  headroom,
  watched,
}: CardProps) {
  const running = view.state === 'loading' || view.state === 'thinking' || view.state === 'dying';
  const now = useNow(view.resurrectAt !== null);
  const role = view.instance;
  const share = limitBytes && view.memoryBytes ? view.memoryBytes / limitBytes : 0;
  const card = useRef<HTMLElement>(null);
  const actions = useKeepFocus(card);
  return (
    <article
      className={`card instance role-${role.toLowerCase()}`}
      data-testid={`instance-${role}`}
      aria-label={role}
      ref={card}
      tabIndex={-1}
    >
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
          <dt>PID</dt>
          <dd>{view.pid ?? '–'}</dd>
        </div>
        {view.load && (
          <div>
            <dt>Backend</dt>
            <dd>
              {view.load.backend.toUpperCase()} · {view.load.gpuLayers}/{view.load.totalLayers} GPU layers · ctx{' '}
              {view.load.contextSize}
            </dd>
          </div>
        )}
      </dl>
      <div className="memory" data-testid="memory">
        <span>Memory {formatBytes(view.memoryBytes)}</span>
        {limitBytes !== null && (
          <>
            <div
              className="bar-track"
              role="meter"
              aria-label={`${role} memory against its limit`}
              aria-valuemin={0}
              aria-valuemax={limitBytes}
              aria-valuenow={view.memoryBytes ?? 0}
            >
              <div
                className={`bar-fill${share >= 0.95 ? ' over' : share >= 0.8 ? ' warn' : ''}`}
                style={{ width: `${Math.min(100, share * 100)}%` }}
              />
              <span className="headroom-line line-kill" style={{ left: `${LIMIT_ACTION_FRACTION * 100}%` }} />
            </div>
            <span className="limit">of {formatBytes(limitBytes)}</span>
            {headroom && <CardHeadroom headroom={headroom} />}
          </>
        )}
      </div>
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
      {held && view.state === 'waiting' && (
        <p className="detail" data-testid="held">
          Waiting: {held}
        </p>
      )}
      {layerCap !== null && (
        <p className="detail" data-testid="layer-cap">
          GPU layers cut to {layerCap} after a GPU-threshold kill
        </p>
      )}
      {view.detail && !held && view.state !== 'thinking' && <p className="detail">{view.detail}</p>}
      {view.error && (
        <p className="error" role="alert" data-testid="instance-error">
          {view.error.message}
        </p>
      )}
      {view.error?.fix && (
        <p className="fix" data-testid="instance-fix">
          To fix: {view.error.fix}. {view.state === 'blocked' ? 'Not counted as a death; Start tries again.' : ''}
        </p>
      )}
      {watched.length > 0 && (
        <p className="watching" data-testid="watching">
          Watching{' '}
          {watched.map((other, index) => (
            <span key={other.instance} className={`role-name role-${other.instance.toLowerCase()}`}>
              {index > 0 ? ' and ' : ''}
              {other.instance} ({plural(other.deaths, 'death')})
            </span>
          ))}
        </p>
      )}
      <Transcript reflections={view.reflections} partial={view.partial} role={role} />
      <div className="actions" {...actions}>
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
}, sameCard);
