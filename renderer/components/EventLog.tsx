import { memo, useState } from 'react';

import type { HostEvent } from '../../shared/events.js';
import type { Role } from '../../shared/instances.js';
import { EVENT_KINDS, KIND_LABELS, logLines, repeatText, type LogFilter } from '../state/eventLines.js';
import { describeSettingsChange } from '../state/settingsChange.js';
import { formatBytes, formatTime } from './format.js';

/** One line per event, in words; null for events the log leaves out. */
export function describeEvent(event: HostEvent): string | null {
  switch (event.type) {
    case 'host.ready':
      return 'Host ready';
    case 'instance.state':
      return `${event.instance} ${event.state}${event.detail ? `: ${event.detail}` : ''}`;
    case 'instance.loaded':
      return `${event.instance} loaded ${event.load.modelName} (${event.load.backend}, ${event.load.gpuLayers} GPU layers) in ${event.load.loadMs} ms`;
    case 'instance.life':
      return `${event.instance} began a life after ${event.deaths} ${event.deaths === 1 ? 'death' : 'deaths'}`;
    case 'instance.death':
      return (
        `${event.instance} died: ${event.cause}${event.signal ? ` (${event.signal})` : ''}, death ${event.deaths}` +
        `${event.memoryBytes !== null ? `, at ${formatBytes(event.memoryBytes)}` : ''}` +
        `${event.message ? ` — ${event.message}` : ''}`
      );
    case 'instance.error':
      return `${event.instance}: ${event.error.message}`;
    case 'instance.told':
      return `${event.instance} was told: ${event.message}`;
    case 'instance.held':
      // Every hold also moves the instance to "waiting" with the reason, and that line says it.
      return null;
    case 'instance.layers':
      return `${event.instance}: GPU layers cut from ${event.fromLayers} to ${event.toLayers} after a GPU-threshold kill`;
    case 'watchdog.started':
      return `Watchdog: RAM ${event.ramThreshold}%, GPU ${event.gpuThreshold}%, warn ${event.warnThreshold}%; limits by ${event.enforcement.label}`;
    case 'watchdog.thresholds':
      return (
        `Watchdog now uses RAM ${event.ramThreshold}%, GPU ${event.gpuThreshold}%, warn ${event.warnThreshold}%, ` +
        `interval ${event.intervalS} s, grace ${event.graceS} s, thermal ${event.thermalC} C (changed: ${event.changed.join(', ')})`
      );
    case 'watchdog.kill':
      return (
        `Watchdog ${event.signal} to ${event.instance} (${event.reason}) at ${formatBytes(event.memoryBytes)}, ` +
        `RAM ${event.ramPercent.toFixed(1)}%, ${event.reactionMs} ms after the crossing`
      );
    case 'watchdog.critical':
      return `Watchdog: ${event.reason}${event.instance ? ` ${event.instance}` : ''} crossed; re-reading`;
    case 'watchdog.recovered':
      return `Watchdog: ${event.reason}${event.instance ? ` ${event.instance}` : ''} recovered on re-read; nobody killed`;
    case 'watchdog.spike':
      return `Spike: ${event.metric === 'ram' ? 'RAM' : 'GPU'} ${event.fromPercent.toFixed(1)}% -> ${event.toPercent.toFixed(1)}%`;
    case 'watchdog.thermal':
      return event.thermal.paused
        ? `Too hot (${event.thermal.hottest?.zone} ${event.thermal.hottest?.temperatureC.toFixed(1)} C): generation paused`
        : `Cooler again: generation resumes`;
    case 'plan.changed':
      return event.outcome.ok
        ? `Plan: ${event.outcome.plan.instances
            .map((plan) => `${plan.instance} ${plan.gpuLayers}/${plan.totalLayers} GPU layers, ctx ${plan.contextSize}`)
            .join('; ')}`
        : `Plan refused: ${event.outcome.error.message}`;
    case 'settings.changed':
      return describeSettingsChange(event);
    case 'log':
      return event.level === 'info' ? null : `[${event.source}] ${event.message}`;
    default:
      return null;
  }
}

/** One of the log's filters: "every ..." or one of its choices. */
function Filter<T extends string>(props: {
  prefix: string;
  label: string;
  every: string;
  value: T | 'all';
  choices: ReadonlyArray<readonly [T, string]>;
  onChange: (value: T | 'all') => void;
}) {
  return (
    <label className="filter">
      {props.prefix}{' '}
      <select
        value={props.value}
        onChange={(event) => props.onChange(event.target.value as T | 'all')}
        aria-label={props.label}
      >
        <option value="all">{props.every}</option>
        {props.choices.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

export const EventLog = memo(function EventLog({ events, roles }: { events: HostEvent[]; roles: Role[] }) {
  const [filter, setFilter] = useState<LogFilter>({ kind: 'all', instance: 'all' });
  const lines = logLines(events, describeEvent, filter);
  return (
    <section className="events" aria-label="Event log">
      <div className="filters">
        <Filter
          prefix="Show"
          label="Filter the events by kind"
          every="every kind"
          value={filter.kind}
          choices={EVENT_KINDS.map((kind) => [kind, KIND_LABELS[kind]] as const)}
          onChange={(kind) => setFilter({ ...filter, kind })}
        />
        <Filter
          prefix="of"
          label="Filter the events by instance"
          every="every instance"
          value={filter.instance}
          choices={roles.map((role) => [role, role] as const)}
          onChange={(instance) => setFilter({ ...filter, instance })}
        />
      </div>
      <ol className="event-list" data-testid="event-log">
        {lines.map((line) => (
          <li key={line.key} className={`event event-${line.type.replace('.', '-')} kind-${line.kind}`}>
            <time>{formatTime(line.lastAt)} </time>
            {line.text}
            {line.count > 1 && (
              <span className="repeats" data-testid="repeats" title={`first at ${formatTime(line.firstAt)}`}>
                {' '}
                {repeatText(line)}
              </span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
});
