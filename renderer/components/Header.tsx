import type { ConnectionStatus } from '../client/webSocketClient.js';
import type { PanelState } from '../state/panelState.js';
import { formatBytes } from './format.js';

export function Header({ state, status }: { state: PanelState; status: ConnectionStatus }) {
  const latest = state.metrics.at(-1);
  return (
    <header className="header">
      <h1>Brain in a Jar</h1>
      <span className="mode" title="Mode">
        {state.mode === 'matrix' ? 'Matrix: SUBJECT · OBSERVER · GOD' : 'Single: one isolated mind'}
      </span>
      {latest && (
        <span className="ram-now" aria-label="System RAM in use">
          RAM {latest.ramPercent.toFixed(1)}% · {formatBytes(latest.ramUsedBytes)} of{' '}
          {formatBytes(latest.ramTotalBytes)}
        </span>
      )}
      <span className={`connection connection-${status.kind}`} role="status">
        {status.kind === 'open' ? 'Connected' : status.kind === 'connecting' ? 'Connecting…' : 'Disconnected'}
      </span>
    </header>
  );
}
