import type { KeyboardEvent } from 'react';
import { ReferenceLine } from 'recharts';

import type { DeathSummary } from '../../shared/postMortem.js';
import { deathLine, deathsBetween } from '../state/deaths.js';
import { ROLE_COLOURS } from './Charts.js';
import { openDeathView } from './deathViewOpener.js';
import { formatTime } from './format.js';

interface LineEnds {
  x1?: number;
  y1?: number;
  x2?: number;
  y2?: number;
}

/** The marker itself: a line in the dead role's colour with a cross at the top, a button for mouse and keyboard. */
function Marker({ death, ends }: { death: DeathSummary; ends: LineEnds }) {
  const { x1, y1, x2, y2 } = ends;
  if ([x1, y1, x2, y2].some((value) => typeof value !== 'number' || !Number.isFinite(value))) return null;
  const name = `${deathLine(death)}, at ${formatTime(death.at)}`;
  const colour = ROLE_COLOURS[death.instance];
  const open = () => openDeathView(death.id);
  const top = Math.min(y1!, y2!);
  return (
    <g
      role="button"
      tabIndex={0}
      aria-label={`${name}: open the minute before it`}
      className="death-marker"
      data-testid="death-marker"
      onClick={open}
      onKeyDown={(event: KeyboardEvent) => {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        open();
      }}
    >
      <title>{name}</title>
      <line x1={x1} y1={y1} x2={x2} y2={y2} stroke={colour} strokeWidth={2} />
      {/* A wider, invisible line: a 2 px line is too thin to hit at arm's length. */}
      <line x1={x1} y1={y1} x2={x2} y2={y2} stroke="transparent" strokeWidth={12} />
      <text x={x1} y={top + 12} textAnchor="middle" fill={colour} fontSize={16} fontWeight={700}>
        ✕
      </text>
    </g>
  );
}

/**
 * A marker at each death inside a time chart's range, to put among that chart's children (recharts finds its
 * reference lines among them, so this returns the elements rather than a component).
 */
export function deathMarkers(deaths: readonly DeathSummary[], range: { from: number; to: number } | null) {
  if (!range) return [];
  return deathsBetween(deaths, range.from, range.to).map((death) => (
    <ReferenceLine
      key={`death-${death.id}`}
      x={death.at}
      ifOverflow="discard"
      shape={(ends: LineEnds) => <Marker death={death} ends={ends} />}
    />
  ));
}
