import { causeText, type DeathSummary } from '../../shared/postMortem.js';
import { openDeathView } from './deathViewOpener.js';
import { formatBytes, formatTime } from './format.js';

const percent = (part: number | null, whole: number | null): string =>
  part !== null && whole ? `${((part / whole) * 100).toFixed(0)}%` : '–';

/** The figures that explain a death: the card's last death and the death view both show them. */
export function DeathFacts({ death }: { death: DeathSummary }) {
  return (
    <dl className="death-facts">
      <div>
        <dt>Cause</dt>
        <dd data-testid="death-cause">
          {causeText(death)}
          {death.message ? ` · ${death.message}` : ''}
        </dd>
      </div>
      <div>
        <dt>When</dt>
        <dd>
          {formatTime(death.at)} · death {death.deaths}
        </dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd data-testid="death-memory">
          {death.memoryBytes === null
            ? `not measured (it died before a sample saw it); its limit ${formatBytes(death.limitBytes)}`
            : `${formatBytes(death.memoryBytes)} of its ${formatBytes(death.limitBytes)} limit (${percent(death.memoryBytes, death.limitBytes)})`}
        </dd>
      </div>
      <div>
        <dt>Board RAM</dt>
        <dd data-testid="death-board">
          {percent(death.ramUsedBytes, death.ramTotalBytes)} of {formatBytes(death.ramTotalBytes)} · kill line{' '}
          {death.ramThreshold}%, warn {death.warnThreshold}%
        </dd>
      </div>
      {death.reactionMs !== null && (
        <div>
          <dt>Reaction</dt>
          <dd data-testid="death-reaction">{death.reactionMs} ms from the crossing to SIGTERM</dd>
        </div>
      )}
    </dl>
  );
}

/** On the card: the last death, while it is dead and after it returns, and the way to the minute before it. */
export function LastDeath({ death }: { death: DeathSummary }) {
  return (
    <section className="last-death" data-testid="last-death" aria-label={`${death.instance}'s last death`}>
      <h3>Last death</h3>
      <DeathFacts death={death} />
      <button type="button" onClick={() => openDeathView(death.id)}>
        The minute before it
      </button>
    </section>
  );
}
