import { memo } from 'react';

import type { HostEvent } from '../../shared/events.js';
import { formatBytes } from './format.js';

/** One line per event, in words. */
export function describeEvent(event: HostEvent): string | null {
  switch (event.type) {
    case 'host.ready':
      return `Host ready`;
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
    case 'log':
      return event.level === 'info' ? null : `[${event.source}] ${event.message}`;
    default:
      return null;
  }
}

export const EventLog = memo(function EventLog({ events }: { events: HostEvent[] }) {
  const lines = events
    .map((event, index) => ({ event, index, text: describeEvent(event) }))
    .filter((line) => line.text !== null)
    .slice(-200)
    .reverse();
  return (
    <section className="card events" aria-label="Event log">
      <h2>Events</h2>
      <ol className="event-list" data-testid="event-log">
        {lines.map(({ event, index, text }) => (
          <li key={index} className={`event event-${event.type.replace('.', '-')}`}>
            {text}
          </li>
        ))}
      </ol>
    </section>
  );
});
