import { formatTable, round } from './stats.js';

/**
 * What a soak run measured, and what is wrong with it. Pure: the runner (soak.ts) gathers the figures from /proc,
 * the host's events, its files and its api; this says which of them fail the run.
 */

/** Host RSS may grow this much over a run: the metrics history (1 h at 1 Hz) and the event ring fill up. */
export const RSS_GROWTH_BOUND_MB = 48;
/** Open fds may differ by this much: a board.refresh probe or a GPU tool's pipes may be open at the moment of reading. */
export const FD_GROWTH_BOUND = 8;

export interface SoakFigures {
  minutes: number;
  seed: number;
  host: { pid: number; rssStartMb: number; rssEndMb: number; fdsStart: number; fdsEnd: number };
  kills: { sent: number; external: number; api: number; skipped: number };
  /** Deaths as each record of them tells it: the event stream, events.jsonl, deaths.json, the api's snapshot. */
  deaths: { events: number; eventsFile: number; deathsFile: number; api: number; byCause: Record<string, number> };
  /** Kills after which no death of that pid came within the wait. */
  unmatchedKills: string[];
  /** Children (or their children) of the host in state Z at the end: "pid (command)". */
  zombies: string[];
  /** The host's last-resort count at the end (null: the snapshot did not say). */
  caught: number | null;
  /** Lines of the host's stderr and error logs that tell of an error nothing handled. */
  unhandled: string[];
  calls: {
    valid: number;
    validOk: number;
    invalid: number;
    invalidRefused: number;
    /** Calls answered without data or a code from the list, or not answered at all. */
    badAnswers: string[];
    /** Invalid calls the host accepted. */
    invalidAccepted: string[];
  };
  /** The host's exit when asked to stop at the end. */
  exit: { code: number | null; signal: string | null } | null;
}

/** One line per thing that is wrong; empty when the run passed. */
export function soakFailures(figures: SoakFigures): string[] {
  const failures: string[] = [];
  const { kills, deaths, host, calls } = figures;
  for (const [where, count] of Object.entries({
    'the events': deaths.events,
    'events.jsonl': deaths.eventsFile,
    'deaths.json': deaths.deathsFile,
    'the api': deaths.api,
  })) {
    if (count !== kills.sent) {
      const causes = Object.entries(deaths.byCause)
        .map(([cause, n]) => `${cause} ${n}`)
        .join(', ');
      failures.push(`${kills.sent} kills sent but ${count} deaths in ${where} (causes: ${causes || 'none'})`);
    }
  }
  if (figures.unmatchedKills.length > 0) failures.push(`kills with no death: ${figures.unmatchedKills.join('; ')}`);
  if (figures.zombies.length > 0) failures.push(`zombies at the end: ${figures.zombies.join(', ')}`);
  if (figures.caught === null) failures.push('the snapshot does not say the last-resort count');
  else if (figures.caught > 0) failures.push(`the last-resort handler caught ${figures.caught} errors`);
  if (figures.unhandled.length > 0) failures.push(`unhandled errors: ${figures.unhandled.slice(0, 5).join(' | ')}`);
  const rssGrowth = host.rssEndMb - host.rssStartMb;
  if (rssGrowth > RSS_GROWTH_BOUND_MB) {
    failures.push(`host RSS grew ${round(rssGrowth, 1)} MB (bound ${RSS_GROWTH_BOUND_MB} MB)`);
  }
  if (host.fdsEnd - host.fdsStart > FD_GROWTH_BOUND) {
    failures.push(`host fds grew from ${host.fdsStart} to ${host.fdsEnd} (bound +${FD_GROWTH_BOUND})`);
  }
  if (calls.badAnswers.length > 0) failures.push(`bad answers: ${calls.badAnswers.slice(0, 5).join('; ')}`);
  if (calls.invalidAccepted.length > 0) {
    failures.push(`invalid calls accepted: ${calls.invalidAccepted.slice(0, 5).join('; ')}`);
  }
  if (kills.sent === 0) failures.push('no kill was sent: the run measured nothing');
  if (figures.exit && (figures.exit.code !== 0 || figures.exit.signal !== null)) {
    failures.push(`the host did not exit cleanly when asked to stop (${JSON.stringify(figures.exit)})`);
  }
  return failures;
}

export function printSoak(figures: SoakFigures, failures: string[]): string {
  const { host, kills, deaths, calls } = figures;
  return [
    `Soak: ${figures.minutes} min of matrix, seed ${figures.seed} (replay with --seed ${figures.seed})`,
    '',
    formatTable(
      ['host', 'start', 'end', 'growth', 'bound'],
      [
        ['RSS MB', host.rssStartMb, host.rssEndMb, round(host.rssEndMb - host.rssStartMb, 1), RSS_GROWTH_BOUND_MB],
        ['open fds', host.fdsStart, host.fdsEnd, host.fdsEnd - host.fdsStart, FD_GROWTH_BOUND],
      ],
    ),
    '',
    `kills sent: ${kills.sent} (kill -9 from outside ${kills.external}, api ${kills.api}; ${kills.skipped} skipped, nothing thinking)`,
    `deaths recorded: events ${deaths.events}, events.jsonl ${deaths.eventsFile}, deaths.json ${deaths.deathsFile}, api ${deaths.api}` +
      ` (${Object.entries(deaths.byCause)
        .map(([cause, n]) => `${cause} ${n}`)
        .join(', ')})`,
    `api calls: ${calls.valid} valid (${calls.validOk} ok), ${calls.invalid} invalid (${calls.invalidRefused} refused with a code)`,
    `zombies: ${figures.zombies.length}; last-resort count: ${figures.caught ?? 'unknown'}; unhandled errors: ${figures.unhandled.length}`,
    '',
    failures.length === 0 ? 'soak: PASSED' : failures.map((line) => `soak: FAILED: ${line}`).join('\n'),
  ].join('\n');
}
