import type { LogEvent, UnstampedEvent } from '../../shared/events.js';

/** Log lines carry who speaks: "host", "SUBJECT", "SUBJECT 1234" (a worker's pid), "web". */
export interface Logger {
  info(source: string, message: string): void;
  warn(source: string, message: string): void;
  error(source: string, message: string): void;
}

/** A logger whose lines are `log` events, so they reach stdout, the events file and the panel alike. */
export function eventLogger(emit: (event: UnstampedEvent) => void): Logger {
  const line = (level: LogEvent['level']) => (source: string, message: string) =>
    emit({ type: 'log', level, source, message });
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** Human form of a log event: "2026-11-28 16:05:40 [SUBJECT 1234] message". */
export function formatLogLine(event: LogEvent, now: Date = new Date()): string {
  const stamp = now.toISOString().replace('T', ' ').slice(0, 19);
  const level = event.level === 'info' ? '' : `${event.level.toUpperCase()}: `;
  return `${stamp} [${event.source}] ${level}${event.message}`;
}
