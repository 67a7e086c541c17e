import { useEffect, useRef, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

import type { JarClient } from '../../shared/api.js';
import { causeText, type DeathView as DeathViewData } from '../../shared/postMortem.js';
import { ROLE_COLOURS } from './Charts.js';
import { closeDeathView, useOpenDeath } from './deathViewOpener.js';
import { formatBytes, formatTime, GB } from './format.js';
import { DeathFacts } from './PostMortem.js';
import { ramLines } from './ramLines.js';

const MB = 2 ** 20;
const LINE = { dot: false, isAnimationActive: false, connectNulls: false, strokeWidth: 2 } as const;

type Loaded = { id: string; view: DeathViewData } | { id: string; error: string };

/**
 * The instance chart's top: its limit where that is within four times its peak, else the peak with room (a 170 MB
 * mind under a 4 GB limit would be a flat line at the bottom), and the caption says where the limit is.
 */
function instanceTop(data: Array<{ memoryMb: number | null; limitMb: number | null }>) {
  const peak = Math.max(1, ...data.map((point) => point.memoryMb ?? 0));
  const limit = Math.max(0, ...data.map((point) => point.limitMb ?? 0));
  const limitOff = limit > 4 * peak;
  return { mb: Math.ceil(limitOff ? peak * 1.25 : Math.max(peak, limit) * 1.05), limitOff };
}

/** Seconds before the death, for the x axis: -60 .. 0. */
const secondsBefore = (view: DeathViewData) => (t: number) => Math.round((t - view.at) / 100) / 10;

function span(view: DeathViewData): string {
  const { samples } = view;
  if (samples.length === 0) return 'No samples were kept before this death.';
  const seconds = (samples.at(-1)!.t - samples[0]!.t) / 1000;
  return `${samples.length} samples over the ${seconds.toFixed(0)} s before it (${formatTime(samples[0]!.t)} to ${formatTime(samples.at(-1)!.t)})`;
}

function Charts({ view }: { view: DeathViewData }) {
  const x = secondsBefore(view);
  const data = view.samples.map((sample) => ({
    s: x(sample.t),
    memoryMb: sample.memoryBytes === null ? null : sample.memoryBytes / MB,
    limitMb: sample.limitBytes === null ? null : sample.limitBytes / MB,
    boardGb: sample.ramUsedBytes / GB,
  }));
  const totalGb = (view.ramTotalBytes ?? 0) / GB;
  const top = instanceTop(data);
  const colour = ROLE_COLOURS[view.instance];
  const axes = [
    <CartesianGrid key="grid" stroke="#333" strokeDasharray="3 3" />,
    <XAxis key="x" dataKey="s" type="number" domain={[-60, 0]} stroke="#bbb" unit=" s" />,
    <Tooltip key="tip" contentStyle={{ background: '#111', border: '1px solid #555' }} />,
  ];
  return (
    <div className="death-charts">
      <figure className="chart" aria-label={`${view.instance}'s memory against its limit, the minute before it died`}>
        <figcaption>
          {view.instance}&apos;s memory against its limit (MB)
          {top.limitOff ? `; the limit, ${formatBytes(view.limitBytes)}, is far above the scale` : ''}
        </figcaption>
        <div className="chart-box" data-testid="death-chart-instance">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
              {axes}
              <YAxis stroke="#bbb" width={56} domain={[0, top.mb]} allowDataOverflow />
              <Line dataKey="memoryMb" name={view.instance} stroke={colour} {...LINE} />
              <Line dataKey="limitMb" name="limit" stroke={colour} strokeDasharray="4 4" {...LINE} strokeWidth={1} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </figure>
      <figure
        className="chart"
        aria-label="The board's used RAM with the warn and kill lines, the minute before it died"
      >
        <figcaption>Board RAM used (GB), with the warn and kill lines</figcaption>
        <div className="chart-box" data-testid="death-chart-board">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
              {axes}
              <YAxis stroke="#bbb" width={56} domain={[0, Math.ceil(totalGb)]} />
              <Line dataKey="boardGb" name="board" stroke="#9e9e9e" {...LINE} />
              {ramLines(view.warnThreshold, view.ramThreshold, totalGb)}
            </LineChart>
          </ResponsiveContainer>
        </div>
      </figure>
    </div>
  );
}

/**
 * The death view: one death's figures and the minute of memory before it, fetched from the host (which keeps it on
 * disk, so deaths from before the page or the host started have one too). A modal dialog: Escape closes it, and
 * focus goes back to what opened it.
 */
export function DeathView({ client }: { client: JarClient }) {
  const id = useOpenDeath();
  const dialog = useRef<HTMLDialogElement>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (id === null) {
      if (element.open) element.close();
      return;
    }
    if (!element.open) element.showModal();
    let current = true;
    void client.call('deaths.view', { id }).then((result) => {
      if (current) setLoaded(result.ok ? { id, view: result.result } : { id, error: result.error.message });
    });
    return () => {
      current = false;
    };
  }, [client, id]);

  const shown = loaded && loaded.id === id ? loaded : null;
  return (
    <dialog
      ref={dialog}
      className="death-view"
      aria-labelledby="death-view-title"
      data-testid="death-view"
      onClose={() => closeDeathView()}
    >
      <header>
        <h2 id="death-view-title">
          {shown && 'view' in shown
            ? `${shown.view.instance}, death ${shown.view.deaths}: ${causeText(shown.view)}`
            : 'A death'}
        </h2>
        <button type="button" onClick={() => closeDeathView()} aria-label="Close the death view">
          ×
        </button>
      </header>
      {!shown && <p>Reading the post-mortem…</p>}
      {shown && 'error' in shown && (
        <p className="error" role="alert">
          {shown.error}
        </p>
      )}
      {shown && 'view' in shown && (
        <>
          <DeathFacts death={shown.view} />
          <p className="muted" data-testid="death-samples">
            {span(shown.view)}
          </p>
          <Charts view={shown.view} />
        </>
      )}
    </dialog>
  );
}
