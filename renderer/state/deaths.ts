import type { ReflectionRecord, Role } from '../../shared/instances.js';
import { causeText, type DeathSummary } from '../../shared/postMortem.js';

/**
 * The deaths the panel knows (the host's snapshot, then each death's event), and what the card, the transcript, the
 * chart markers and the alert say of them. Pure, so it is tested in Node.
 */

/** The panel keeps as many as the host sends on connect. */
export const DEATHS_KEPT = 100;

/** A death added once, in time order, the oldest dropped beyond the bound. */
export function addDeath(deaths: readonly DeathSummary[], death: DeathSummary): DeathSummary[] {
  if (deaths.some((known) => known.id === death.id)) return deaths as DeathSummary[];
  const next = [...deaths, death].sort((a, b) => a.at - b.at);
  return next.slice(-DEATHS_KEPT);
}

/** Each role's deaths, oldest first: what its card and transcript show. */
export function deathsByRole(deaths: readonly DeathSummary[]): Partial<Record<Role, DeathSummary[]>> {
  const byRole: Partial<Record<Role, DeathSummary[]>> = {};
  for (const death of deaths) (byRole[death.instance] ??= []).push(death);
  return byRole;
}

/** A reflection cut off within this long of a death was cut by it (the cut is written just before the death). */
const CUT_SLACK_MS = 5000;

/** The death that cut a thought short, or null (a complete thought, or one cut by a graceful stop). */
export function cutBy(record: ReflectionRecord, deaths: readonly DeathSummary[]): DeathSummary | null {
  if (record.complete) return null;
  return (
    deaths.find(
      (death) =>
        death.instance === record.instance &&
        death.at >= record.endedAt - CUT_SLACK_MS &&
        death.at <= record.endedAt + CUT_SLACK_MS,
    ) ?? null
  );
}

/** Who died and why, in one line: the alert's text, a marker's accessible name. */
export function deathLine(death: DeathSummary): string {
  return `${death.instance} died: ${causeText(death)}, death ${death.deaths}`;
}

/** The deaths within [from, to], for a chart's markers. */
export function deathsBetween(deaths: readonly DeathSummary[], from: number, to: number): DeathSummary[] {
  return deaths.filter((death) => death.at >= from && death.at <= to);
}

/** The deaths that arrived since `seen` was taken (ids), newest last: what the alert announces. */
export function newDeaths(deaths: readonly DeathSummary[], seen: ReadonlySet<string>): DeathSummary[] {
  return deaths.filter((death) => !seen.has(death.id));
}
