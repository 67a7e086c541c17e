import { causeText, type DeathSummary } from '../../shared/postMortem.js';
import { openDeathView } from './deathViewOpener.js';
import { formatBytes, formatTime } from './format.js';

const percent = (part: number | null, whole: number | null): string =>
  part !== null && whole ? `${((part / whole) * 100).toFixed(0)}%` : '–';

function memoryText(death: DeathSummary): string {
  if (death.memoryBytes === null) {
    return `not measured (it died before a sample saw it); its limit ${formatBytes(death.limitBytes)}`;
  }
  const share = percent(death.memoryBytes, death.limitBytes);
  return `${formatBytes(death.memoryBytes)} of its ${formatBytes(death.limitBytes)} limit (${share})`;
}

function boardText(death: DeathSummary): string {
  const used = percent(death.ramUsedBytes, death.ramTotalBytes);
  return `${used} of ${formatBytes(death.ramTotalBytes)} · kill line ${death.ramThreshold}%, warn ${death.warnThreshold}%`;
}

const reactionText = (reactionMs: number) => `${reactionMs} ms from the crossing to SIGTERM`;

/** The figures that explain a death, labelled one per row: the death view shows them. */
export function DeathFacts({ death }: { death: DeathSummary }) {
  const rows: Array<[string, string, string]> = [
    ['Cause', 'death-cause', `${causeText(death)}${death.message ? ` · ${death.message}` : ''}`],
    ['When', 'death-when', `${formatTime(death.at)} · death ${death.deaths}`],
    ['Memory', 'death-memory', memoryText(death)],
    ['Board RAM', 'death-board', boardText(death)],
  ];
  if (death.reactionMs !== null) rows.push(['Reaction', 'death-reaction', reactionText(death.reactionMs)]);
  return (
    <dl className="death-facts">
      {rows.map(([label, testId, text]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd data-testid={testId}>{text}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * On the card: the last death, while it is dead and after it returns, in three rows of fixed height (a longer row
 * ends in an ellipsis and shows whole on hover), so the card's own buttons never move for it; the death view has
 * it all.
 */
export function LastDeath({ death }: { death: DeathSummary }) {
  const memory = memoryText(death);
  const board = boardText(death);
  const reaction = death.reactionMs === null ? '' : ` · reaction ${reactionText(death.reactionMs)}`;
  const cause = `${causeText(death)}${death.message ? ` · ${death.message}` : ''}`;
  return (
    <section className="last-death" data-testid="last-death" aria-label={`${death.instance}'s last death`}>
      <p className="last-death-row" title={cause}>
        <strong>
          Last death {death.deaths} · {formatTime(death.at)}:
        </strong>{' '}
        <span data-testid="death-cause">{cause}</span>
      </p>
      <p className="last-death-row" title={`Memory ${memory}${reaction}`}>
        Memory <span data-testid="death-memory">{memory}</span>
        {death.reactionMs !== null && <span data-testid="death-reaction">{reaction}</span>}
      </p>
      <p className="last-death-row" title={`Board RAM ${board}`}>
        Board RAM <span data-testid="death-board">{board}</span>
      </p>
      <button type="button" onClick={() => openDeathView(death.id)}>
        The minute before it
      </button>
    </section>
  );
}
