import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Sampler } from '../electron/core/sampler/sampler.js';
import { eventLogger } from '../electron/core/logger.js';
import { HostProcess } from '../tests/helpers/hostProcess.js';
import { stopHost, untilDone } from './cleanup.js';
import { earlyoomArgs, INSTALL_HINT, prepareEarlyoom } from './earlyoom.js';
import { fillRun, type FillRun, type Policy } from './fillRun.js';
import { cpuSeconds, median, round } from './stats.js';
import { watchdogTargets, type Target } from './watchdogTargets.js';

/**
 * The watchdog against its peers: a memory hog supervised as an instance fills at 200 MB/s and at 1 GB/s toward a
 * line set 1 GB above the board's use, held in turn by our watchdog (the real host, as built), by the original's
 * policy (2 s, 1 s above the warn level, no re-read) and by earlyoom (Debian's package, one foreground earlyoom per
 * run at the same line), alternating run by run. See bench/fillRun.ts for one run.
 */

const HOG = path.join(path.dirname(fileURLToPath(import.meta.url)), '../tests/helpers/hogWorker.mjs');
const MB = 2 ** 20;

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
  /** Runs the policy did not end itself (earlyoom's only: our line above its line did). */
  backstops: number;
}

/** A peer's figure over ours (how many times larger), for each median and worst. */
export interface Ratios {
  medianSigterm: number;
  worstSigterm: number;
  medianOvershoot: number;
  worstOvershoot: number;
  medianHogOvershoot: number;
  worstHogOvershoot: number;
}

export interface FillFigures {
  rateMbps: number;
  ours: PolicyFigures;
  original: PolicyFigures;
  /** null when earlyoom is not installed (or another one could not be stopped). */
  earlyoom: PolicyFigures | null;
  ratios: { original: Ratios; earlyoom: Ratios | null };
}

export interface WatchdogBenchResult {
  /** How far above the board's use the line was set. */
  headroomMb: number;
  earlyoom: { version: string; flags: string; setup: string[] } | { missing: string };
  fills: FillFigures[];
  sampler: { hostCpuPercentOfOneCore: number; instances: number; sampleMicros: number };
  targets: Target[];
}

/** Touch a few GB once, so the hypervisor has backed them before anything is timed (new pages are slow here). */
function warmUp(gigabytes: number): void {
  let blocks: Buffer[] = [];
  for (let i = 0; i < gigabytes * 16; i++) blocks.push(Buffer.alloc(64 * MB, 1));
  blocks = [];
  void blocks;
}

function figures(runs: FillRun[]): PolicyFigures {
  const of = (pick: (run: FillRun) => number, digits = 0) => ({
    median: round(median(runs.map(pick)), digits),
    worst: round(Math.max(...runs.map(pick)), digits),
  });
  const sigterm = of((run) => run.sigtermMs);
  const exit = of((run) => run.exitMs);
  const overshoot = of((run) => run.overshootMb);
  const hog = of((run) => run.hogOvershootMb, 1);
  return {
    runs: runs.length,
    medianSigtermMs: sigterm.median,
    worstSigtermMs: sigterm.worst,
    medianExitMs: exit.median,
    worstExitMs: exit.worst,
    medianOvershootMb: overshoot.median,
    worstOvershootMb: overshoot.worst,
    medianHogOvershootMb: hog.median,
    worstHogOvershootMb: hog.worst,
    achievedMbps: of((run) => run.achievedMbps).median,
    hogMbps: of((run) => run.hogMbps).median,
    backstops: runs.filter((run) => run.backstop).length,
  };
}

function ratios(theirs: PolicyFigures, ours: PolicyFigures): Ratios {
  // Under 1 MB (or 1 ms) the ratio says nothing but the noise of the measurement: divide by at least 1.
  const over = (a: number, b: number) => round(a / Math.max(1, b), 1);
  return {
    medianSigterm: over(theirs.medianSigtermMs, ours.medianSigtermMs),
    worstSigterm: over(theirs.worstSigtermMs, ours.worstSigtermMs),
    medianOvershoot: over(theirs.medianOvershootMb, ours.medianOvershootMb),
    worstOvershoot: over(theirs.worstOvershootMb, ours.worstOvershootMb),
    medianHogOvershoot: over(theirs.medianHogOvershootMb, ours.medianHogOvershootMb),
    worstHogOvershoot: over(theirs.worstHogOvershootMb, ours.worstHogOvershootMb),
  };
}

/** Host CPU at steady state with three quiet workers, and the cost of one sample taken here. */
async function samplerCost(log: (line: string) => void): Promise<WatchdogBenchResult['sampler']> {
  const host = HostProcess.startBuilt(['--mode', 'matrix', '--interval', '2'], {
    BRAIN_IN_JAR_WORKER_SCRIPT: HOG,
    BIJ_HOG_BASE_MB: '50',
  });
  const stop = untilDone(() => stopHost(host, log));
  let cpu = 0;
  try {
    await host.waitUntil(() => (host.of('instance.loaded').length >= 3 ? true : undefined), 'three loaded instances');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const before = cpuSeconds(host.pid);
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    cpu = ((cpuSeconds(host.pid) - before) / 20) * 100;
  } finally {
    await stop();
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

/** Run `run`'s order of the policies: each goes first, second and last equally often over the runs. */
export function rotation<T>(items: readonly T[], run: number): T[] {
  const shift = run % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export async function benchWatchdog(options: {
  runs: number;
  log: (line: string) => void;
}): Promise<WatchdogBenchResult> {
  const headroomMb = 1024;
  const setup = await prepareEarlyoom(options.log);
  const policies: Policy[] = setup ? ['ours', 'original', 'earlyoom'] : ['ours', 'original'];
  options.log('  touching 4 GB once so that new memory is backed before anything is timed...');
  warmUp(4);
  const fills: FillFigures[] = [];
  for (const rateMbps of [200, 1024]) {
    const runs = new Map<Policy, FillRun[]>(policies.map((policy) => [policy, []]));
    for (let run = 0; run < options.runs; run++) {
      for (const policy of rotation(policies, run)) {
        const result = await fillRun(rateMbps, policy, headroomMb, options.log);
        runs.get(policy)!.push(result);
        options.log(
          `  ${rateMbps} MB/s, ${policy}: overshoot ${round(result.overshootMb, 0)} MB (hog ${round(result.hogOvershootMb, 1)} MB), ` +
            `SIGTERM ${result.sigtermMs} ms, exit ${result.exitMs} ms after the crossing ` +
            `(fill ${round(result.hogMbps, 0)} MB/s, board ${round(result.achievedMbps, 0)} MB/s)` +
            (result.backstop ? ': earlyoom did not act, our line above it did' : '') +
            (result.beforeTheLine
              ? ` (stopped ${round(result.underMb, 1)} MB before the board was seen at the line)`
              : '') +
            ` [${result.killedBy}]`,
        );
      }
    }
    const ours = figures(runs.get('ours')!);
    const original = figures(runs.get('original')!);
    const earlyoom = setup ? figures(runs.get('earlyoom')!) : null;
    fills.push({
      rateMbps,
      ours,
      original,
      earlyoom,
      ratios: { original: ratios(original, ours), earlyoom: earlyoom ? ratios(earlyoom, ours) : null },
    });
  }
  options.log('  sampler: three workers at steady state for 20 s...');
  const sampler = await samplerCost(options.log);
  return {
    headroomMb,
    earlyoom: setup
      ? { version: setup.version, flags: earlyoomArgs(0).join(' ').replace('-M 0', '-M <line>'), setup: setup.actions }
      : { missing: INSTALL_HINT },
    fills,
    sampler,
    targets: watchdogTargets(fills, sampler),
  };
}
