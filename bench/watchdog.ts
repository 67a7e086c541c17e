import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Sampler } from '../electron/core/sampler/sampler.js';
import { readMeminfo, readProcessMemory } from '../electron/core/sampler/procfs.js';
import { eventLogger } from '../electron/core/logger.js';
import { HostProcess, isGone } from '../tests/helpers/hostProcess.js';
import { WsClient } from '../tests/helpers/wsClient.js';
import { cpuSeconds, formatTable, median, round } from './stats.js';

/**
 * The watchdog against a memory hog supervised as an instance, filling at 200 MB/s and at 1 GB/s toward a RAM
 * threshold set just above the board's use; for our watchdog and for the original's policy (2 s, 1 s above 70%, no
 * re-read), run side by side in this one process. Measured from outside the host: a loop here reads /proc/meminfo
 * every 2 ms for the crossing and the peak, and watches the hog's pid for its exit.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const HOG = path.join(here, '../tests/helpers/hogWorker.mjs');
const MB = 2 ** 20;

export interface FillRun {
  reactionToSigtermMs: number;
  reactionToExitMs: number;
  /** The board's use at its peak, less the threshold. */
  overshootMb: number;
  /**
   * What the hog itself added after the crossing (its RssAnon + RssFile at the end, less at the crossing): the same
   * overshoot without whatever else on the machine allocated or freed meanwhile.
   */
  hogOvershootMb: number;
  /** How fast the board's use rose from the start to the crossing. */
  achievedMbps: number;
  /** How fast the hog's own RSS rose over the same time. */
  hogMbps: number;
}

export interface PolicyFigures {
  runs: number;
  medianSigtermMs: number;
  worstSigtermMs: number;
  medianExitMs: number;
  worstExitMs: number;
  medianOvershootMb: number;
  worstOvershootMb: number;
  medianHogOvershootMb: number;
  worstHogOvershootMb: number;
  achievedMbps: number;
  hogMbps: number;
}

export interface WatchdogBenchResult {
  /** How far above the board's use the threshold was set. */
  headroomMb: number;
  fills: Array<{
    rateMbps: number;
    adaptive: PolicyFigures;
    original: PolicyFigures;
    overshootRatio: number;
    target: { overshootMb: number; met: boolean };
  }>;
  sampler: { hostCpuPercentOfOneCore: number; instances: number; sampleMicros: number };
}

/** Touch a few GB once, so the hypervisor has backed them before anything is timed (new pages are slow here). */
function warmUp(gigabytes: number): void {
  let blocks: Buffer[] = [];
  for (let i = 0; i < gigabytes * 16; i++) blocks.push(Buffer.alloc(64 * MB, 1));
  blocks = [];
  void blocks;
}

async function fillRun(rateMbps: number, timing: 'adaptive' | 'original', headroomMb: number): Promise<FillRun> {
  const go = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-go-')), 'go');
  const host = HostProcess.startBuilt(['--interval', '2', '--watchdog-timing', timing, '--resurrect-delay', '60'], {
    BRAIN_IN_JAR_WORKER_SCRIPT: HOG,
    BIJ_HOG_RATE_MBPS: String(rateMbps),
    BIJ_HOG_MAX_MB: String(headroomMb * 6),
    BIJ_HOG_GO_FILE: go,
  });
  try {
    const loaded = await host.waitFor('instance.loaded');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const meminfo = readMeminfo();
    const used = meminfo.totalBytes - meminfo.availableBytes;
    const thresholdBytes = used + headroomMb * MB;
    const threshold = (thresholdBytes / meminfo.totalBytes) * 100;
    const client = await WsClient.connect((await host.waitFor('host.ready')).url);
    const set = await client.call('settings.set', { ramThreshold: threshold, warnThreshold: threshold - 0.5 });
    client.close();
    if (!set.ok) throw new Error(JSON.stringify(set));

    // A fill starts at a random moment of the watchdog's sampling cycle, as it does on a board; a fixed start would
    // give a polling watchdog the same (lucky or unlucky) phase in every run.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 2000));
    fs.writeFileSync(go, '');
    const startedAt = Date.now();
    let crossingAt = 0;
    let exitAt = 0;
    let peak = used;
    let atCrossingUsed = used;
    let hogAtStart = 0;
    let hogAtCrossing = 0;
    let hogPeak = 0;
    while (Date.now() - startedAt < 30_000) {
      const now = readMeminfo();
      const current = now.totalBytes - now.availableBytes;
      peak = Math.max(peak, current);
      const hog = readProcessMemory(loaded.pid)?.rssBytes ?? 0;
      hogPeak = Math.max(hogPeak, hog);
      hogAtStart ||= hog;
      if (!crossingAt && current >= thresholdBytes) {
        crossingAt = Date.now();
        atCrossingUsed = current;
        hogAtCrossing = hog;
      }
      if (isGone(loaded.pid)) {
        exitAt = Date.now();
        break;
      }
      // Every 2 ms, not a spin: on a 2-core machine a spinning observer would slow the watchdog it observes.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const kill = await host.waitFor('watchdog.kill', (event) => event.signal === 'SIGTERM');
    if (!crossingAt || !exitAt) throw new Error(`no crossing or no exit (crossing ${crossingAt}, exit ${exitAt})`);
    return {
      reactionToSigtermMs: kill.at - crossingAt,
      reactionToExitMs: exitAt - crossingAt,
      overshootMb: (peak - thresholdBytes) / MB,
      hogOvershootMb: (hogPeak - hogAtCrossing) / MB,
      achievedMbps: (atCrossingUsed - used) / MB / ((crossingAt - startedAt) / 1000),
      hogMbps: (hogAtCrossing - hogAtStart) / MB / ((crossingAt - startedAt) / 1000),
    };
  } finally {
    await host.stop();
  }
}

function figures(runs: FillRun[]): PolicyFigures {
  return {
    runs: runs.length,
    medianSigtermMs: round(median(runs.map((run) => run.reactionToSigtermMs)), 0),
    worstSigtermMs: round(Math.max(...runs.map((run) => run.reactionToSigtermMs)), 0),
    medianExitMs: round(median(runs.map((run) => run.reactionToExitMs)), 0),
    worstExitMs: round(Math.max(...runs.map((run) => run.reactionToExitMs)), 0),
    medianOvershootMb: round(median(runs.map((run) => run.overshootMb)), 0),
    worstOvershootMb: round(Math.max(...runs.map((run) => run.overshootMb)), 0),
    medianHogOvershootMb: round(median(runs.map((run) => run.hogOvershootMb)), 0),
    worstHogOvershootMb: round(Math.max(...runs.map((run) => run.hogOvershootMb)), 0),
    achievedMbps: round(median(runs.map((run) => run.achievedMbps)), 0),
    hogMbps: round(median(runs.map((run) => run.hogMbps)), 0),
  };
}

/** Host CPU at steady state with three quiet workers, and the cost of one sample taken here. */
async function samplerCost(): Promise<WatchdogBenchResult['sampler']> {
  const host = HostProcess.startBuilt(['--mode', 'matrix', '--interval', '2'], {
    BRAIN_IN_JAR_WORKER_SCRIPT: HOG,
    BIJ_HOG_BASE_MB: '50',
  });
  let cpu = 0;
  try {
    await host.waitUntil(() => (host.of('instance.loaded').length >= 3 ? true : undefined), 'three loaded instances');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const before = cpuSeconds(host.pid);
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    cpu = ((cpuSeconds(host.pid) - before) / 20) * 100;
  } finally {
    await host.stop();
  }
  const sampler = new Sampler({
    gpuKind: 'none',
    log: eventLogger(() => undefined),
    workers: () => [
      { role: 'SUBJECT', pid: process.pid, limitBytes: 6 * 2 ** 30, vramBytes: null, spare: false, killable: true },
      { role: 'OBSERVER', pid: process.pid, limitBytes: 6 * 2 ** 30, vramBytes: null, spare: false, killable: true },
      { role: 'GOD', pid: process.pid, limitBytes: 6 * 2 ** 30, vramBytes: null, spare: false, killable: true },
    ],
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < 2000; i++) sampler.sample(100);
  const micros = Number(process.hrtime.bigint() - started) / 1000 / 2000;
  return { hostCpuPercentOfOneCore: round(cpu, 2), instances: 3, sampleMicros: round(micros, 0) };
}

export async function benchWatchdog(options: {
  runs: number;
  log: (line: string) => void;
}): Promise<WatchdogBenchResult> {
  const headroomMb = 1024;
  options.log('  touching 4 GB once so that new memory is backed before anything is timed...');
  warmUp(4);
  const fills: WatchdogBenchResult['fills'] = [];
  for (const [rateMbps, targetMb] of [
    [200, 40],
    [1024, 150],
  ] as const) {
    const adaptive: FillRun[] = [];
    const original: FillRun[] = [];
    for (let run = 0; run < options.runs; run++) {
      // Side by side: alternate which goes first.
      for (const timing of run % 2 === 0 ? (['adaptive', 'original'] as const) : (['original', 'adaptive'] as const)) {
        const result = await fillRun(rateMbps, timing, headroomMb);
        (timing === 'adaptive' ? adaptive : original).push(result);
        options.log(
          `  ${rateMbps} MB/s, ${timing}: overshoot ${round(result.overshootMb, 0)} MB (hog ${round(result.hogOvershootMb, 0)} MB), SIGTERM ${result.reactionToSigtermMs} ms, ` +
            `exit ${result.reactionToExitMs} ms after the crossing (fill ${round(result.hogMbps, 0)} MB/s, board ${round(result.achievedMbps, 0)} MB/s)`,
        );
      }
    }
    const ours = figures(adaptive);
    const theirs = figures(original);
    fills.push({
      rateMbps,
      adaptive: ours,
      original: theirs,
      overshootRatio: round(theirs.medianOvershootMb / Math.max(1, ours.medianOvershootMb), 1),
      target: {
        overshootMb: targetMb,
        met: ours.worstOvershootMb <= targetMb && theirs.medianOvershootMb >= 5 * ours.medianOvershootMb,
      },
    });
  }
  options.log('  sampler: three workers at steady state for 20 s...');
  return { headroomMb, fills, sampler: await samplerCost() };
}

export function printWatchdog(result: WatchdogBenchResult): string {
  const rows = result.fills.flatMap((fill) =>
    (['adaptive', 'original'] as const).map((policy) => {
      const f = fill[policy];
      return [
        `${fill.rateMbps} MB/s`,
        policy === 'adaptive' ? 'ours (adaptive)' : "original's (2 s / 1 s)",
        `${f.hogMbps} / ${f.achievedMbps}`,
        `${f.medianSigtermMs} / ${f.worstSigtermMs}`,
        `${f.medianExitMs} / ${f.worstExitMs}`,
        `${f.medianOvershootMb} / ${f.worstOvershootMb}`,
        `${f.medianHogOvershootMb} / ${f.worstHogOvershootMb}`,
      ];
    }),
  );
  return [
    `Watchdog against a hog filling toward a RAM threshold ${result.headroomMb} MB above the board's use (median / worst of ${result.fills[0]?.adaptive.runs} runs)`,
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
    'above the threshold; hog alone: what the hog added after the crossing.',
    ...result.fills.map(
      (fill) =>
        `${fill.rateMbps} MB/s: overshoot ${fill.overshootRatio}x less than the original's; target <= ${fill.target.overshootMb} MB ` +
        `worst case and >= 5x less: ${fill.target.met ? 'met' : 'NOT met'}`,
    ),
    `Sampler: host CPU ${result.sampler.hostCpuPercentOfOneCore}% of one core at steady state with ${result.sampler.instances} workers ` +
      `(target under 1%); one sample costs ${result.sampler.sampleMicros} us`,
  ].join('\n');
}
