import { formatTable } from './stats.js';
import type { PolicyFigures, Ratios, WatchdogBenchResult } from './watchdog.js';
import { targetLine } from './watchdogTargets.js';

const POLICY_LABELS = {
  ours: 'ours (the host)',
  original: "original's (2 s / 1 s)",
  earlyoom: 'earlyoom',
} as const;

function row(rate: string, policy: keyof typeof POLICY_LABELS, f: PolicyFigures): string[] {
  return [
    rate,
    POLICY_LABELS[policy] + (f.backstops > 0 ? ` (${f.backstops} missed)` : ''),
    `${f.hogMbps} / ${f.achievedMbps}`,
    `${f.medianSigtermMs} / ${f.worstSigtermMs}`,
    `${f.medianExitMs} / ${f.worstExitMs}`,
    `${f.medianOvershootMb} / ${f.worstOvershootMb}`,
    `${f.medianHogOvershootMb} / ${f.worstHogOvershootMb}`,
  ];
}

function ratioLine(rate: string, peer: string, r: Ratios): string {
  return (
    `${rate}, ${peer} / ours: crossing->SIGTERM ${r.medianSigterm}x / ${r.worstSigterm}x, ` +
    `overshoot ${r.medianOvershoot}x / ${r.worstOvershoot}x, hog alone ${r.medianHogOvershoot}x / ${r.worstHogOvershoot}x`
  );
}

export function printWatchdog(result: WatchdogBenchResult): string {
  const rate = (mbps: number) => (mbps === 1024 ? '1 GB/s' : `${mbps} MB/s`);
  const rows = result.fills.flatMap((fill) => [
    row(rate(fill.rateMbps), 'ours', fill.ours),
    row(rate(fill.rateMbps), 'original', fill.original),
    ...(fill.earlyoom ? [row(rate(fill.rateMbps), 'earlyoom', fill.earlyoom)] : []),
  ]);
  const peer =
    'missing' in result.earlyoom
      ? `earlyoom: not installed, left out (${result.earlyoom.missing})`
      : `earlyoom ${result.earlyoom.version}: earlyoom ${result.earlyoom.flags}, in the foreground, one per run` +
        (result.earlyoom.setup.length > 0 ? `; setup: ${result.earlyoom.setup.join('; ')}` : '');
  return [
    `Watchdog against a hog filling toward a line ${result.headroomMb} MB above the board's use ` +
      `(median / worst of ${result.fills[0]?.ours.runs} runs each, alternating)`,
    peer,
    '',
    formatTable(
      [
        'fill',
        'policy',
        'fill MB/s hog / board',
        'crossing->SIGTERM ms',
        'crossing->exit ms',
        'overshoot MB',
        'hog alone MB',
      ],
      rows,
    ),
    '',
    "Fill: how fast the hog's RSS and the board's use rose until the crossing. Overshoot: the board's use at its peak",
    "above the line; hog alone: what the hog's RssAnon + RssFile added after the crossing. Both read every 2 ms.",
    ...result.fills.flatMap((fill) => [
      ratioLine(rate(fill.rateMbps), "original's", fill.ratios.original),
      ...(fill.ratios.earlyoom ? [ratioLine(rate(fill.rateMbps), 'earlyoom', fill.ratios.earlyoom)] : []),
    ]),
    `Sampler: one sample costs ${result.sampler.sampleMicros} us`,
    '',
    ...result.targets.map(targetLine),
  ].join('\n');
}
