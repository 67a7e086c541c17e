import type { HostEvent } from '../../shared/events.js';
import type { Role } from '../../shared/instances.js';

/**
 * The event log's lines, pure: each event in words, sorted into a kind the operator filters by, and a run of
 * identical lines (allowing a few others between them) collapsed into one with its count and span ("x115 in 27 s"), so that a flood never pushes the
 * deaths out of view. A plan line that says what the last one said (a settings change that left the plan as it
 * was in every figure the line shows) is left out.
 */

export const EVENT_KINDS = ['deaths', 'watchdog', 'settings', 'plan', 'instances', 'host'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const KIND_LABELS: Record<EventKind, string> = {
  deaths: 'deaths',
  watchdog: 'the watchdog',
  settings: 'settings',
  plan: 'the plan',
  instances: 'starts and states',
  host: 'the host',
};

export function kindOf(event: HostEvent): EventKind {
  if (event.type === 'instance.death') return 'deaths';
  if (event.type.startsWith('watchdog.')) return 'watchdog';
  if (event.type === 'settings.changed') return 'settings';
  if (event.type === 'plan.changed' || event.type === 'instance.layers') return 'plan';
  if (event.type.startsWith('instance.')) return 'instances';
  return 'host';
}

/** The instance an event is about, for the filter. */
export function subjectOf(event: HostEvent): Role | null {
  return 'instance' in event && typeof event.instance === 'string' ? (event.instance as Role) : null;
}

/** How many of the newest lines a repeat may join. */
const RECENT = 8;

export interface LogFilter {
  kind: 'all' | EventKind;
  instance: 'all' | Role;
}

export interface LogLine {
  /** Index of the run's first event, stable while the run grows: the list's key. */
  key: number;
  text: string;
  type: HostEvent['type'];
  kind: EventKind;
  count: number;
  firstAt: number;
  lastAt: number;
}

/** The lines to show, newest first, at most `max`. */
export function logLines(
  events: readonly HostEvent[],
  describe: (event: HostEvent) => string | null,
  filter: LogFilter,
  max = 300,
): LogLine[] {
  const lines: LogLine[] = [];
  let lastPlan: string | null = null;
  events.forEach((event, index) => {
    const text = describe(event);
    if (text === null) return;
    if (event.type === 'plan.changed') {
      if (text === lastPlan) return;
      lastPlan = text;
    }
    const kind = kindOf(event);
    if (filter.kind !== 'all' && kind !== filter.kind) return;
    if (filter.instance !== 'all' && subjectOf(event) !== filter.instance) return;
    // A repeat of one of the last few lines joins it, and the joined line moves to the newest place: a flood
    // interleaved with a plan or a state line is still one line, and the lines stay in the order of their last.
    const repeated = lines.findLastIndex((line, position) => position >= lines.length - RECENT && line.text === text);
    if (repeated !== -1) {
      const [line] = lines.splice(repeated, 1);
      lines.push({ ...line!, count: line!.count + 1, lastAt: event.at });
      return;
    }
    lines.push({ key: index, text, type: event.type, kind, count: 1, firstAt: event.at, lastAt: event.at });
  });
  return lines.slice(-max).reverse();
}

/** "x115 in 27 s" for a collapsed run; empty for a single line. */
export function repeatText(line: Pick<LogLine, 'count' | 'firstAt' | 'lastAt'>): string {
  if (line.count === 1) return '';
  return `x${line.count} in ${Math.round((line.lastAt - line.firstAt) / 1000)} s`;
}
