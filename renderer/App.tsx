import { useCallback, useEffect, useReducer, useState } from 'react';

import type { MethodName, MethodParams } from '../shared/api.js';
import type { Connection } from './client/connect.js';
import type { ConnectionStatus } from './client/webSocketClient.js';
import { EventLog } from './components/EventLog.js';
import { Header } from './components/Header.js';
import { InstanceCard } from './components/InstanceCard.js';
import { MemoryChart } from './components/MemoryChart.js';
import { PlanPanel } from './components/PlanPanel.js';
import { applyPush, initialPanelState } from './state/panelState.js';

export type Call = <M extends MethodName>(method: M, params: MethodParams<M>) => Promise<string | null>;

export function App({ connection }: { connection: Connection }) {
  const [state, dispatch] = useReducer(applyPush, initialPanelState);
  const [status, setStatus] = useState<ConnectionStatus>({ kind: 'connecting' });
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => connection.client.subscribe(dispatch), [connection]);
  useEffect(() => connection.onStatus(setStatus), [connection]);

  /** Runs an api call; returns the error message, if any, and shows it. */
  const call: Call = useCallback(
    async (method, params) => {
      const result = await connection.client.call(method, params);
      if (result.ok) {
        setNotice(null);
        return null;
      }
      setNotice(result.error.message);
      return result.error.message;
    },
    [connection],
  );

  return (
    <div className="app">
      <Header state={state} status={status} />
      {notice && (
        <div className="notice" role="alert">
          <span>{notice}</span>
          <button type="button" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {!state.ready ? (
        <p className="waiting">{status.kind === 'closed' ? status.message : 'Connecting to the host…'}</p>
      ) : (
        <main className={`layout layout-${state.mode}`}>
          <section className="instances" aria-label="Instances">
            {state.instances.map((view) => (
              <InstanceCard key={view.instance} view={view} call={call} />
            ))}
          </section>
          <section className="side" aria-label="Plan, memory and events">
            <PlanPanel
              plan={state.plan}
              settings={state.settings?.settings ?? null}
              resources={state.resources}
              call={call}
            />
            <MemoryChart metrics={state.metrics} roles={state.instances.map((view) => view.instance)} />
            <EventLog events={state.events} />
          </section>
        </main>
      )}
    </div>
  );
}
