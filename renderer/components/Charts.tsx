import { memo, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

import type { Role } from '../../shared/instances.js';
import type { Settings } from '../../shared/settings.js';
import { chartPoints, newestBucket, WINDOWS, zonesOf, type ChartPoint, type ChartWindow } from '../state/chartData.js';
import { chartScales, PERCENT, timeTicks, type Scale } from '../state/chartScale.js';
import { limitsOf } from '../state/limits.js';
import type { PanelState } from '../state/panelState.js';
import { formatBytes, formatTime, GB } from './format.js';

export const ROLE_COLOURS: Record<Role, string> = {
  SUBJECT: '#4fc3f7',
  OBSERVER: '#ffb74d',
  GOD: '#e57373',
};
const ZONE_COLOURS = ['#ffd54f', '#81c784', '#ba68c8', '#4dd0e1', '#f06292', '#aed581', '#ff8a65', '#90a4ae'];
const LINE = { dot: false, isAnimationActive: false, connectNulls: false, strokeWidth: 2 } as const;
const MARGIN = { top: 8, right: 16, bottom: 0, left: 0 };

function ChartCard({
  title,
  label,
  action,
  note,
  children,
}: {
  title: string;
  label: string;
  action?: ReactNode;
  note?: string | null;
  children: ReactNode;
}) {
  return (
    <figure className="chart" aria-label={label}>
      <figcaption>
        <span>{title}</span>
        {action}
      </figcaption>
      <div className="chart-box" role="img" aria-label={label}>
        <ResponsiveContainer width="100%" height="100%">
          {children as never}
        </ResponsiveContainer>
      </div>
      {note && <p className="chart-note">{note}</p>}
    </figure>
  );
}

/** Axis ticks stay short (the unit is in each chart's title): 0.25, 2.5, 24. */
function tick(value: number): string {
  if (value === 0 || Math.abs(value) >= 10) return value.toFixed(0);
  return String(Number(value.toPrecision(3)));
}

/**
 * Round ticks on both axes, and a legend in the cards' order (recharts sorts it by name unless told otherwise), with
 * what is not a card after the roles.
 */
function axes(y: Scale, times: number[], order: readonly string[]) {
  return [
    <CartesianGrid key="grid" stroke="#333" strokeDasharray="3 3" />,
    <XAxis
      key="x"
      dataKey="t"
      type="number"
      domain={['dataMin', 'dataMax']}
      ticks={times}
      tickFormatter={formatTime}
      stroke="#bbb"
      minTickGap={24}
    />,
    <YAxis
      key="y"
      stroke="#bbb"
      width={48}
      tickFormatter={tick}
      domain={y.domain}
      ticks={y.ticks}
      interval={0}
      allowDataOverflow
    />,
    <Tooltip
      key="tip"
      labelFormatter={(value) => formatTime(Number(value))}
      contentStyle={{ background: '#111', border: '1px solid #555' }}
    />,
    <Legend key="legend" itemSorter={(item) => legendRank(order, String(item.value))} />,
  ];
}

const legendRank = (order: readonly string[], name: string) => {
  const index = order.indexOf(name);
  return index === -1 ? order.length : index;
};

/**
 * The live charts: the board's memory (each instance's share stacked on what the rest of the system uses, with the
 * warn and kill lines), each instance against its limit, the GPU, temperatures and tokens per second. Windows of
 * 1 min, 10 min and 1 h (60, 120 and 180 points); no animation.
 */
export const Charts = memo(function Charts({
  metrics,
  roles,
  settings,
  resources,
  plan,
}: {
  metrics: PanelState['metrics'];
  /** Stable while the roles are the same: tokens streaming into the cards do not redraw the charts. */
  roles: readonly Role[];
  settings: Settings | undefined;
  resources: PanelState['resources'];
  plan: PanelState['plan'];
}) {
  const [span, setSpan] = useState<ChartWindow>(WINDOWS[0]);
  // The points are remade when a new bucket opens (every 1 s, 5 s or 20 s by the window), not for every frame:
  // recharts takes tens of milliseconds to draw them, which every frame would turn into dropped frames.
  const bucket = newestBucket(metrics, span);
  const latest = useRef(metrics);
  latest.current = metrics;
  const data = useMemo(() => chartPoints(latest.current, roles, span), [bucket, roles, span]);
  const totalGb = (metrics.at(-1)?.ramTotalBytes ?? 0) / GB;
  return (
    <div className="charts" data-testid="charts">
      <div className="windows" role="group" aria-label="Time window">
        {WINDOWS.map((option) => (
          <button
            key={option.label}
            type="button"
            aria-pressed={span === option}
            className={span === option ? 'selected' : ''}
            onClick={() => setSpan(option)}
          >
            {option.label}
          </button>
        ))}
      </div>
      <ChartGrid
        data={data}
        roles={roles}
        settings={settings}
        totalGb={totalGb}
        unified={resources?.gpu.unified ?? false}
        plan={plan}
      />
    </div>
  );
});

/** The charts themselves, drawn again only when their points, lines or limits change. */
const ChartGrid = memo(function ChartGrid({
  data,
  roles,
  settings,
  totalGb,
  unified,
  plan,
}: {
  data: ChartPoint[];
  roles: readonly Role[];
  settings: Settings | undefined;
  totalGb: number;
  unified: boolean;
  plan: PanelState['plan'];
}) {
  const [zoomed, setZoomed] = useState(false);
  const hasGpu = data.some((entry) => entry.gpuPercent !== null || entry.gpuLoad !== null);
  const zones = zonesOf(data);
  // From the outcome's own figures, so a plan refused for one instance keeps every limit line (memoised: the
  // scales below are computed again only when the limits change).
  const limits = useMemo(() => limitsOf(plan), [plan]);
  const thermalC = settings?.thermalC ?? null;
  const scales = useMemo(
    () => chartScales(data, roles, limits, totalGb, thermalC),
    [data, roles, limits, totalGb, thermalC],
  );
  const times = useMemo(() => timeTicks(data[0]?.t ?? 0, data.at(-1)?.t ?? 0), [data]);
  const order = [...roles, 'rest of the system'];
  const board = zoomed ? scales.boardZoomed : scales.board;
  return (
    <>
      <ChartCard
        title="Board memory (GB): each instance stacked on the rest of the system"
        label="Board memory over time"
        action={
          <button
            type="button"
            className="zoom"
            aria-pressed={zoomed}
            onClick={() => setZoomed(!zoomed)}
            title="Fit the scale to the instances on top of the rest, instead of the whole board"
          >
            Zoom to the instances
          </button>
        }
      >
        <AreaChart data={data} margin={MARGIN}>
          {axes(board, times, order)}
          <Area
            dataKey="restGb"
            name="rest of the system"
            stackId="ram"
            stroke="#9e9e9e"
            fill="#616161"
            isAnimationActive={false}
          />
          {roles.map((role) => (
            <Area
              key={role}
              dataKey={`memoryGb.${role}`}
              name={role}
              stackId="ram"
              stroke={ROLE_COLOURS[role]}
              fill={ROLE_COLOURS[role]}
              fillOpacity={0.5}
              isAnimationActive={false}
            />
          ))}
          {/* The warn label sits under its line and the kill label over its own (recharts' "inside top" of a line is
              below it): 10% of the board apart is a few pixels, and two labels between the lines print over each
              other. */}
          {settings && !zoomed && (
            <ReferenceLine
              y={(settings.warnThreshold / 100) * totalGb}
              stroke="#ffca28"
              strokeDasharray="6 4"
              label={{ value: `warn ${settings.warnThreshold}%`, fill: '#ffca28', position: 'insideTopLeft' }}
            />
          )}
          {settings && !zoomed && (
            <ReferenceLine
              y={(settings.ramThreshold / 100) * totalGb}
              stroke="#ff6b6b"
              strokeDasharray="6 4"
              label={{ value: `kill ${settings.ramThreshold}%`, fill: '#ff6b6b', position: 'insideBottomLeft' }}
            />
          )}
        </AreaChart>
      </ChartCard>
      <ChartCard
        title="Instances (GB), each against its limit"
        label="Instance memory over time"
        note={
          scales.limitsAbove.length > 0
            ? `Above the scale: ${scales.limitsAbove.map((line) => `${line.roles.join(', ')} limit ${formatBytes(line.bytes)}`).join('; ')}`
            : null
        }
      >
        <LineChart data={data} margin={MARGIN}>
          {axes(scales.instances, times, roles)}
          {roles.map((role) => (
            <Line key={role} dataKey={`memoryGb.${role}`} name={role} stroke={ROLE_COLOURS[role]} {...LINE} />
          ))}
          {scales.limitsDrawn.map((line) => (
            <ReferenceLine
              key={line.roles.join()}
              y={line.bytes / GB}
              stroke={ROLE_COLOURS[line.roles[0]]}
              strokeDasharray="4 4"
              label={{
                value: `${line.roles.join(', ')} limit`,
                fill: ROLE_COLOURS[line.roles[0]],
                position: line.place,
              }}
            />
          ))}
        </LineChart>
      </ChartCard>
      {hasGpu && (
        <ChartCard
          title={unified ? 'GPU: load, and the shared pool it takes from the RAM (%)' : 'GPU memory and load (%)'}
          label="GPU over time"
        >
          <LineChart data={data} margin={MARGIN}>
            {axes(PERCENT, times, [])}
            <Line dataKey="gpuPercent" name={unified ? 'shared pool %' : 'GPU memory %'} stroke="#4dd0e1" {...LINE} />
            <Line dataKey="gpuLoad" name="GPU load %" stroke="#aed581" {...LINE} />
            {settings && !unified && (
              <ReferenceLine
                y={settings.gpuThreshold}
                stroke="#ff6b6b"
                strokeDasharray="6 4"
                label={{ value: `kill ${settings.gpuThreshold}%`, fill: '#ff6b6b', position: 'insideTopLeft' }}
              />
            )}
          </LineChart>
        </ChartCard>
      )}
      {zones.length > 0 && (
        <ChartCard title="Temperatures (C)" label="Temperatures over time">
          <LineChart data={data} margin={MARGIN}>
            {axes(scales.temperatures, times, zones)}
            {zones.map((zone, index) => (
              <Line
                key={zone}
                dataKey={`temperatures.${zone}`}
                name={zone}
                stroke={ZONE_COLOURS[index % ZONE_COLOURS.length]}
                {...LINE}
              />
            ))}
            {settings && (
              <ReferenceLine
                y={settings.thermalC}
                stroke="#ff6b6b"
                strokeDasharray="6 4"
                label={{ value: `pause ${settings.thermalC} C`, fill: '#ff6b6b', position: 'insideTopLeft' }}
              />
            )}
          </LineChart>
        </ChartCard>
      )}
      <ChartCard title="Tokens per second" label="Tokens per second over time">
        <LineChart data={data} margin={MARGIN}>
          {axes(scales.tokens, times, roles)}
          {roles.map((role) => (
            <Line key={role} dataKey={`tokensPerSecond.${role}`} name={role} stroke={ROLE_COLOURS[role]} {...LINE} />
          ))}
        </LineChart>
      </ChartCard>
      {!hasGpu && <p className="muted">GPU: none found on this board, so every layer runs on the CPU.</p>}
      {zones.length === 0 && <p className="muted">Temperatures: this board reports no thermal zones.</p>}
    </>
  );
});
