import { useMemo, useState } from 'react';

import type { Role } from '../../shared/instances.js';

import type { Call } from '../client/call.js';
import type { PanelState } from '../state/panelState.js';
import { Charts } from './Charts.js';
import { Controls } from './Controls.js';
import { EventLog } from './EventLog.js';
import { PlanPanel } from './PlanPanel.js';

const TABS = ['Charts', 'Events', 'Controls', 'Plan'] as const;
type Tab = (typeof TABS)[number];

function tabAfterKey(key: string, index: number): Tab | null {
  if (key === 'Home') return TABS[0];
  if (key === 'End') return TABS[TABS.length - 1]!;
  if (key === 'ArrowRight') return TABS[(index + 1) % TABS.length]!;
  if (key === 'ArrowLeft') return TABS[(index + TABS.length - 1) % TABS.length]!;
  return null;
}

/** The right-hand column: one of charts, event log, controls and plan at a time, switched by tabs. */
export function SidePanel({ state, call, native }: { state: PanelState; call: Call; native: boolean }) {
  const [tab, setTab] = useState<Tab>('Charts');
  // The same array while the same roles run, so that the charts redraw for new frames, not for every token.
  const roleKey = state.instances.map((view) => view.instance).join(',');
  const roles = useMemo(() => (roleKey === '' ? [] : (roleKey.split(',') as Role[])), [roleKey]);
  return (
    <section className="side" aria-label="Charts, events, controls and plan">
      <div className="tabs" role="tablist" aria-label="Panels">
        {TABS.map((name, index) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={tab === name}
            aria-controls={`panel-${name}`}
            tabIndex={tab === name ? 0 : -1}
            className={tab === name ? 'selected' : ''}
            onClick={() => setTab(name)}
            onKeyDown={(event) => {
              // As in any tab list: arrows to the next and previous (round the ends), Home and End to the first and last.
              const next = tabAfterKey(event.key, index);
              if (next === null) return;
              event.preventDefault();
              setTab(next);
              document.getElementById(`tab-${next}`)?.focus();
            }}
          >
            {name}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'Charts' && (
          <Charts
            metrics={state.metrics}
            roles={roles}
            settings={state.settings?.settings}
            resources={state.resources}
            plan={state.plan}
          />
        )}
        {tab === 'Events' && <EventLog events={state.events} roles={roles} />}
        {tab === 'Controls' && state.settings && <Controls state={state} call={call} native={native} />}
        {tab === 'Plan' && (
          <PlanPanel
            plan={state.plan}
            settings={state.settings?.settings ?? null}
            resources={state.resources}
            call={call}
          />
        )}
      </div>
    </section>
  );
}
