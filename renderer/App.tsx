import { useCallback, useEffect, useMemo, useReducer, useState } from 'react';

import type { ServerPush } from '../shared/api.js';
import { callThrough, type Call } from './client/call.js';
import type { Connection } from './client/connect.js';
import type { ConnectionStatus } from './client/webSocketClient.js';
import { Header } from './components/Header.js';
import { History } from './components/History.js';
import { PanelToken } from './components/PanelToken.js';
import { InstanceCard } from './components/InstanceCard.js';
import { SidePanel } from './components/SidePanel.js';
import { instanceHeadroom } from './state/headroom.js';
import { limitOf } from './state/limits.js';
import { applyPush, initialPanelState, type PanelState } from './state/panelState.js';

const applyPushes = (state: PanelState, pushes: ServerPush[]): PanelState => pushes.reduce(applyPush, state);

/**
 * Three minds streaming send dozens of messages a second: they are applied together once per frame (or every 250 ms
 * where the page is hidden and frames stop), so the panel renders at most once per frame.
 */
function subscribeByFrame(connection: Connection, dispatch: (pushes: ServerPush[]) => void): () => void {
  let queue: ServerPush[] = [];
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = 0;
    const pushes = queue;
    queue = [];
    dispatch(pushes);
  };
  const unsubscribe = connection.client.subscribe((push) => {
    queue.push(push);
    if (frame !== 0) return;
    frame = requestAnimationFrame(flush);
    timer = setTimeout(flush, 250);
  });
  return () => {
    unsubscribe();
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

export function App({ connection }: { connection: Connection }) {
  const [state, dispatch] = useReducer(applyPushes, initialPanelState);
  const [status, setStatus] = useState<ConnectionStatus>({ kind: 'connecting' });
  const [notice, setNotice] = useState<string | null>(null);
  const [showHistory, setShowHistory] = useState(false);
  // What is on screen while the host is away is the last it said: marked, so nobody reads it as live.
  const stale = state.ready && status.kind !== 'open';

  useEffect(() => subscribeByFrame(connection, dispatch), [connection]);
  useEffect(() => connection.onStatus(setStatus), [connection]);

  const call = useMemo(() => callThrough(connection.client), [connection]);
  /** For buttons without a field of their own: the error goes to the banner. */
  const act: Call = useCallback(
    async (method, params) => {
      const error = await call(method, params);
      setNotice(error?.message ?? null);
      return error;
    },
    [call],
  );

  return (
    <div className="app" data-stale={stale ? 'true' : undefined}>
      <Header state={state} status={status} call={call} />
      {stale && (status.kind === 'closed' || status.kind === 'refused') && (
        <div className="notice stale-notice" role="alert" data-testid="stale-notice">
          <span>
            {status.message} Stale: every figure is as of {new Date(status.since).toLocaleTimeString()}.
          </span>
        </div>
      )}
      {state.disk && state.disk.state !== 'ok' && (
        <div className={`notice disk-notice disk-${state.disk.state}`} role="alert" data-testid="disk-notice">
          <span>{state.disk.message}</span>
        </div>
      )}
      {state.settings?.notice && (
        <div className="notice" role="alert">
          <span>{state.settings.notice}</span>
        </div>
      )}
      {notice && (
        <div className="notice" role="alert">
          <span>{notice}</span>
          <button type="button" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {!state.ready ? (
        <p className="waiting">
          {status.kind === 'closed' || status.kind === 'refused' ? status.message : 'Connecting to the host…'}
        </p>
      ) : (
        <main className={`layout layout-${state.mode}`}>
          <section className="instances" aria-label="Instances">
            {state.instances.map((view) => (
              <InstanceCard
                key={view.instance}
                view={view}
                call={act}
                held={state.watchdog?.holding[view.instance] ?? null}
                layerCap={state.watchdog?.layerCaps[view.instance] ?? null}
                limitBytes={limitOf(state.plan, view.instance)}
                headroom={instanceHeadroom(state.metrics, view.instance, limitOf(state.plan, view.instance))}
                watched={state.instances
                  .filter((other) => watches(view.instance, other.instance))
                  .map((other) => ({ instance: other.instance, deaths: other.deaths }))}
              />
            ))}
          </section>
          <SidePanel state={state} call={call} native={connection.native} />
        </main>
      )}
      {state.ready && showHistory && <History connection={connection} />}
      <footer className="footer">
        {state.ready && (
          <button type="button" aria-expanded={showHistory} onClick={() => setShowHistory(!showHistory)}>
            {showHistory ? 'Hide history' : 'History and export'}
          </button>
        )}
        <PanelToken connection={connection} status={status} />
      </footer>
    </div>
  );
}

function watches(watcher: string, other: string): boolean {
  return (watcher === 'OBSERVER' && other === 'SUBJECT') || (watcher === 'GOD' && other !== 'GOD');
}
