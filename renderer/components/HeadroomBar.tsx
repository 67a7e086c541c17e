import { etaText, headroomText, type Headroom } from '../state/headroom.js';
import { formatBytes } from './format.js';

/**
 * Beside a card's limit, in the same row (the transcript below has the rest of the card's height): what is left
 * before the watchdog's line at 95% of the limit, and, while the instance grows, when it is reached.
 */
export function CardHeadroom({ headroom }: { headroom: Headroom }) {
  const eta = etaText(headroom);
  const left = (Math.abs(headroom.headroomBytes) / 2 ** 30).toFixed(2);
  return (
    <span
      className={`card-headroom${headroom.headroomBytes <= 0 ? ' over' : ''}`}
      data-testid="card-headroom"
      title={`${headroomText(headroom)}${eta ? `; ${eta}` : ''}`}
    >
      · {left} GB {headroom.headroomBytes >= 0 ? 'left' : 'over'}
      {eta && <span data-testid="time-to-kill"> · {eta.replace(' at the current rate', '')}</span>}
    </span>
  );
}

/** Whether two headrooms read the same on screen (a card is drawn again only when they do not). */
export function sameHeadroom(a: Headroom | null, b: Headroom | null): boolean {
  if (a === null || b === null) return a === b;
  return a.killBytes === b.killBytes && headroomText(a) === headroomText(b) && etaText(a) === etaText(b);
}

const share = (bytes: number, scale: number) => `${Math.min(100, Math.max(0, (bytes / Math.max(1, scale)) * 100))}%`;

/**
 * Memory as a bar against the lines the watchdog acts on (warn and kill marked on the track), the headroom left
 * before the kill line, and, while memory rises, when it would reach it at the watchdog's current rate.
 */
export function HeadroomBar({
  headroom,
  label,
  lineTitles,
}: {
  headroom: Headroom;
  /** The meter's accessible name. */
  label: string;
  lineTitles: { warn?: string; kill: string };
}) {
  const eta = etaText(headroom);
  const state =
    headroom.headroomBytes <= 0
      ? ' over'
      : headroom.warnBytes !== null && headroom.usedBytes >= headroom.warnBytes
        ? ' warn'
        : '';
  return (
    <span className="headroom">
      <span
        className="headroom-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={headroom.scaleBytes}
        aria-valuenow={headroom.usedBytes}
        aria-valuetext={`${formatBytes(headroom.usedBytes)} of ${formatBytes(headroom.scaleBytes)}, ${headroomText(headroom)}${eta ? `; ${eta}` : ''}`}
        title={`${formatBytes(headroom.usedBytes)} of ${formatBytes(headroom.scaleBytes)}`}
      >
        <span className={`headroom-fill${state}`} style={{ width: share(headroom.usedBytes, headroom.scaleBytes) }} />
        {headroom.warnBytes !== null && (
          <span
            className="headroom-line line-warn"
            data-testid="line-warn"
            title={lineTitles.warn}
            style={{ left: share(headroom.warnBytes, headroom.scaleBytes) }}
          />
        )}
        <span
          className="headroom-line line-kill"
          data-testid="line-kill"
          title={lineTitles.kill}
          style={{ left: share(headroom.killBytes, headroom.scaleBytes) }}
        />
      </span>
      <span className={`headroom-figures${state}`} data-testid="headroom">
        {headroomText(headroom)}
      </span>
      {eta && (
        <span className="headroom-eta" data-testid="time-to-kill">
          {eta}
        </span>
      )}
    </span>
  );
}
