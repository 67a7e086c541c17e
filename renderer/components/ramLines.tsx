import { ReferenceLine } from 'recharts';

/**
 * The watchdog's warn and kill lines on a chart of the board's RAM in GB: the live chart and the death view draw
 * the same two (returned as elements: recharts finds reference lines among a chart's own children).
 */
export function ramLines(warnPercent: number, killPercent: number, totalGb: number) {
  const lines = [
    { name: 'warn', percent: warnPercent, colour: '#ffca28' },
    { name: 'kill', percent: killPercent, colour: '#ff6b6b' },
  ];
  return lines.map(({ name, percent, colour }) => (
    <ReferenceLine
      key={name}
      y={(percent / 100) * totalGb}
      stroke={colour}
      strokeDasharray="6 4"
      label={{ value: `${name} ${percent}%`, fill: colour, position: 'insideTopLeft' }}
    />
  ));
}
