import { memo, useState } from 'react';

import type { HostEvent } from '../../shared/events.js';
import type { Role } from '../../shared/instances.js';
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
      return `Settings changed: ${event.changed.join(', ')}`;
    case 'log':
      return event.level === 'info' ? null : `[${event.source}] ${event.message}`;
    default:
      return null;
  }
}

/** The instance an event is about, for the filter. */
function subjectOf(event: HostEvent): Role | null {
  return 'instance' in event && typeof event.instance === 'string' ? (event.instance as Role) : null;
}

export const EventLog = memo(function EventLog({ events, roles }: { events: HostEvent[]; roles: Role[] }) {
  const [filter, setFilter] = useState<'all' | Role>('all');
  const lines = events
    .map((event, index) => ({ event, index, text: describeEvent(event) }))
    .filter((line) => line.text !== null && (filter === 'all' || subjectOf(line.event) === filter))
    .slice(-300)
    .reverse();
  return (
    <section className="events" aria-label="Event log">
      <label className="filter">
        Show{' '}
        <select
          value={filter}
          onChange={(event) => setFilter(event.target.value as 'all' | Role)}
          aria-label="Filter the events by instance"
        >
          <option value="all">every instance</option>
          {roles.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
      </label>
      <ol className="event-list" data-testid="event-log">
        {lines.map(({ event, index, text }) => (
          <li key={index} className={`event event-${event.type.replace('.', '-')}`}>
            {'at' in event && typeof event.at === 'number' && <time>{formatTime(event.at)} </time>}
            {text}
          </li>
        ))}
      </ol>
    </section>
  );
});
