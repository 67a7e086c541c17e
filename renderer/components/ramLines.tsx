import { ReferenceLine } from 'recharts';

/**
 * The watchdog's warn and kill lines on a chart of the board's RAM in GB: the live chart and the death view draw
 * the same two (returned as elements: recharts finds reference lines among a chart's own children). The warn label
 * sits under its line and the kill label over its own (recharts' "inside top" of a line is below it): 10% of the
 * board apart is a few pixels, and two labels between the lines print over each other.
 */
export function ramLines(warnPercent: number, killPercent: number, totalGb: number) {
  const lines = [
    { name: 'warn', percent: warnPercent, colour: '#ffca28', position: 'insideTopLeft' },
    { name: 'kill', percent: killPercent, colour: '#ff6b6b', position: 'insideBottomLeft' },
  ] as const;
  return lines.map(({ name, percent, colour, position }) => (
    <ReferenceLine
      key={name}
      y={(percent / 100) * totalGb}
      stroke={colour}
      strokeDasharray="6 4"
      label={{ value: `${name} ${percent}%`, fill: colour, position }}
    />
  ));
}
