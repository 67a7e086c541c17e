import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

import type { Role } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import { formatTime } from './format.js';

export const ROLE_COLOURS: Record<Role, string> = {
  SUBJECT: '#4fc3f7',
  OBSERVER: '#ffb74d',
  GOD: '#e57373',
};

/** Points drawn at most; older frames are thinned, so an hour of history costs the same as a minute. */
const MAX_POINTS = 600;

type Point = { t: number; ram: number } & Partial<Record<Role, number | null>>;

export function chartPoints(metrics: readonly MetricsFrame[], roles: readonly Role[]): Point[] {
  const step = Math.max(1, Math.ceil(metrics.length / MAX_POINTS));
  const points: Point[] = [];
  for (let i = metrics.length - 1; i >= 0; i -= step) {
    const frame = metrics[i]!;
    const point: Point = { t: frame.t, ram: Number(frame.ramPercent.toFixed(2)) };
    // A role without a worker is a gap in its line, not a drop to zero.
    for (const role of roles) {
      const rss = frame.instances[role]?.rssBytes;
      point[role] = rss === undefined ? null : Math.round(rss / 2 ** 20);
    }
    points.push(point);
  }
  return points.reverse();
}

export const MemoryChart = memo(function MemoryChart({ metrics, roles }: { metrics: MetricsFrame[]; roles: Role[] }) {
  const data = useMemo(() => chartPoints(metrics, roles), [metrics, roles]);
  return (
    <section className="card chart" aria-label="Memory chart" data-testid="memory-chart">
      <h2>Memory</h2>
      <div className="chart-box" role="img" aria-label="System RAM percent and each instance's memory over time">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid stroke="#333" strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={formatTime}
              stroke="#bbb"
              minTickGap={40}
            />
            <YAxis yAxisId="percent" domain={[0, 100]} unit="%" stroke="#bbb" width={52} />
            <YAxis yAxisId="mb" orientation="right" unit=" MB" stroke="#bbb" width={72} />
            <Tooltip
              labelFormatter={(value) => formatTime(Number(value))}
              contentStyle={{ background: '#111', border: '1px solid #555' }}
            />
            <Legend />
            <Line
              yAxisId="percent"
              dataKey="ram"
              name="System RAM %"
              stroke="#e0e0e0"
              dot={false}
              isAnimationActive={false}
              strokeWidth={2}
            />
            {roles.map((role) => (
              <Line
                key={role}
                yAxisId="mb"
                dataKey={role}
                name={`${role} MB`}
                stroke={ROLE_COLOURS[role]}
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
                strokeWidth={2}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
});
