import fs from 'node:fs';
import path from 'node:path';

import type { HostEvent } from '../../../shared/events.js';
import type { DeathCause, Role } from '../../../shared/instances.js';
import type { MetricsFrame } from '../../../shared/metrics.js';
import { DEATH_WINDOW_MS, type DeathSummary, type DeathView } from '../../../shared/postMortem.js';
import type { DeathRecord } from '../../../shared/transcript.js';
import { ApiFailure } from '../api.js';
import { RingBuffer } from '../ringBuffer.js';
import { readJsonl, tailLines } from '../store/jsonlFile.js';
import { POST_MORTEMS_FILE, type SessionStore } from '../store/sessionStore.js';
import { buildDeathView, keptSample, readDeathView, summaryOf, type KeptSample } from './deathView.js';

/** Deaths the panel is given on connect (for the cards and the chart markers), newest last. */
const RECENT_DEATHS = 100;
/** The latest views kept in memory too (up to about 60 KB each), so they open while a full disk holds their lines. */
const VIEWS_IN_MEMORY = 10;
/** Samples kept in memory: a minute even if the watchdog sampled every 10 ms (its fastest is 100 ms). */
const KEPT_SAMPLES = 6000;
/** An earlier session's file is read back from its last few megabytes only, so a start never reads gigabytes. */
const RECENT_TAIL_BYTES = 4 * 2 ** 20;
const WATCHDOG_CAUSES: ReadonlySet<DeathCause> = new Set<DeathCause>(['ram-limit', 'ram-threshold', 'gpu-threshold']);
const SESSION_ID = /^[0-9A-Za-z-]{1,80}$/;

export interface PostMortemOptions {
  store: SessionStore;
  thresholds: () => { ramThreshold: number; warnThreshold: number };
  /** The instance's RAM limit now: for a worker that died before any sample saw it. */
  limitOf: (role: Role) => number;
}

/**
 * The post-mortems: every watchdog sample of the last minute in memory, and on each death the minute before it
 * written next to the death (sessions/<session>/postmortems.jsonl, fsynced), so a death can be explained after the
 * page or the host has restarted.
 */
export class PostMortems {
  private readonly samples = new RingBuffer<KeptSample>(KEPT_SAMPLES, DEATH_WINDOW_MS, (sample) => sample.t);
  /** The watchdog's last kill of each role: which worker, and how fast it reacted. */
  private readonly kills = new Map<Role, { pid: number; reactionMs: number }>();
  private readonly deaths: DeathSummary[];
  private readonly views: DeathView[] = [];

  constructor(private readonly options: PostMortemOptions) {
    this.deaths = this.readRecent();
  }

  sample(frame: MetricsFrame): void {
    this.samples.push(keptSample(frame));
  }

  /** Hears the host's events: the watchdog's kills carry the reaction time a death's view shows. */
  heard(event: HostEvent): void {
    if (event.type !== 'watchdog.kill') return;
    // The SIGKILL after the grace repeats the kill; the reaction is the SIGTERM's.
    if (this.kills.get(event.instance)?.pid === event.pid) return;
    this.kills.set(event.instance, { pid: event.pid, reactionMs: event.reactionMs });
  }

  /** The post-mortem of a death just recorded: written durably, then its summary for the death's event. */
  record(record: DeathRecord): DeathSummary {
    const kill = this.kills.get(record.instance);
    const byWatchdog = kill !== undefined && kill.pid === record.pid && WATCHDOG_CAUSES.has(record.cause);
    const view = buildDeathView({
      sessionId: this.options.store.sessionId,
      record,
      samples: this.samples.toArray(),
      thresholds: this.options.thresholds(),
      reactionMs: byWatchdog ? kill.reactionMs : null,
    });
    view.limitBytes ??= this.options.limitOf(record.instance);
    // A full disk holds the line and writes it later; the summary goes out now either way.
    this.options.store.appendPostMortem({ v: 1, ...view });
    this.views.push(view);
    if (this.views.length > VIEWS_IN_MEMORY) this.views.shift();
    const summary = summaryOf(view);
    this.deaths.push(summary);
    if (this.deaths.length > RECENT_DEATHS) this.deaths.splice(0, this.deaths.length - RECENT_DEATHS);
    return summary;
  }

  /** The latest deaths, of this session and those before, oldest first. */
  recent(): DeathSummary[] {
    return [...this.deaths];
  }

  /** One death's view; NOT_FOUND when no post-mortem of it is on disk. */
  view(id: string): DeathView {
    const kept = this.views.find((view) => view.id === id);
    if (kept) return kept;
    const [sessionId, role, count] = id.split('/');
    const found =
      sessionId && SESSION_ID.test(sessionId) && this.sessionIds().includes(sessionId)
        ? this.read(sessionId).find((view) => view.id === id && view.instance === role && String(view.deaths) === count)
        : undefined;
    if (!found) throw new ApiFailure('NOT_FOUND', `no post-mortem of the death ${JSON.stringify(id)} is kept`, 'id');
    return found;
  }

  private sessionIds(): string[] {
    try {
      return fs
        .readdirSync(this.options.store.paths.sessions)
        .filter((name) => SESSION_ID.test(name))
        .sort();
    } catch {
      return [];
    }
  }

  private read(sessionId: string, tailBytes?: number): DeathView[] {
    const file = path.join(this.options.store.paths.sessions, sessionId, POST_MORTEMS_FILE);
    const records = tailBytes === undefined ? readJsonl<unknown>(file).records : tailRecords(file, tailBytes);
    return records.flatMap((record) => readDeathView(record) ?? []);
  }

  private readRecent(): DeathSummary[] {
    const found: DeathSummary[] = [];
    for (const sessionId of this.sessionIds().reverse()) {
      found.unshift(...this.read(sessionId, RECENT_TAIL_BYTES).map(summaryOf));
      if (found.length >= RECENT_DEATHS) break;
    }
    return found.slice(-RECENT_DEATHS);
  }
}

/** The records in the last `bytes` of a JSONL file; a line that does not parse is left out (checked after). */
function tailRecords(file: string, bytes: number): unknown[] {
  return tailLines(file, bytes).flatMap((line) => {
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      return [];
    }
  });
}
