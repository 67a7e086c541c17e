import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readMeminfo, readProcessMemory } from '../electron/core/sampler/procfs.js';
import { HostProcess, isGone } from '../tests/helpers/hostProcess.js';
import { WsClient } from '../tests/helpers/wsClient.js';
import { stopHost, untilDone } from './cleanup.js';
import { HOG_TITLE, startEarlyoom, type EarlyoomRun } from './earlyoom.js';

/**
 * One run of the watchdog bench: the real host supervises a memory hog (tests/helpers/hogWorker.mjs, spoken to over
 * the worker protocol like a model worker) that fills at a set rate toward a line set `headroomMb` above the board's
 * use; the line is held by our watchdog, by the original's policy (the host's --watchdog-timing original), or by an
 * earlyoom started for this run alone. Measured from outside both: this loop reads /proc/meminfo and the hog's
 * /proc/<pid>/status every 2 ms for the crossing and the peaks, and watches the hog's pid for its exit.
 */

const HOG = path.join(path.dirname(fileURLToPath(import.meta.url)), '../tests/helpers/hogWorker.mjs');
const MB = 2 ** 20;

export const POLICIES = ['ours', 'original', 'earlyoom'] as const;
export type Policy = (typeof POLICIES)[number];

/**
 * Where our watchdog's line sits above earlyoom's in earlyoom's runs: far enough that earlyoom acts first, near
 * enough that a run in which it does not is ended anyway, and counted.
 */
const BACKSTOP_MB = 512;

export interface FillRun {
  /** From the first sample over the line to the SIGTERM (its sender's clock: the host's event, earlyoom's line). */
  sigtermMs: number;
  /** From the first sample over the line to the first sample that found the hog gone. */
  exitMs: number;
  /** The board's use (MemTotal - MemAvailable) at its peak, less the line. */
  overshootMb: number;
  /**
   * What the hog itself added after the crossing (its RssAnon + RssFile at its peak, less at the crossing): the same
   * overshoot without whatever else on the machine allocated or freed meanwhile.
   */
  hogOvershootMb: number;
  /** How fast the board's use rose from the start to the crossing. */
  achievedMbps: number;
  /** How fast the hog's own RSS rose over the same time. */
  hogMbps: number;
  /** earlyoom's runs only: earlyoom did not act, and our watchdog's line BACKSTOP_MB higher ended the hog. */
  backstop: boolean;
  /** Stopped before the outside reader ever saw the board at the line (counted as 0 ms and 0 MB). */
  beforeTheLine: boolean;
  /** Then: how far under the line the board's use peaked. */
  underMb: number;
  /** Which line and which mechanism stopped it (from the host's watchdog.kill). */
  killedBy: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const started = Date.now();
  for (let value = probe(); Date.now() - started < timeoutMs; value = probe()) {
    if (value !== undefined) return value;
    await sleep(5);
  }
  return probe();
}

/** Sets the host's RAM threshold to `lineBytes` (as the percentage the setting takes), warn level just under it. */
function describeKill(kill: { reason: string; by?: string } | undefined): string {
  return kill ? `${kill.reason} by ${kill.by ?? 'polling'}` : 'no kill event';
}

async function setLine(host: HostProcess, lineBytes: number, totalBytes: number): Promise<void> {
  const threshold = (lineBytes / totalBytes) * 100;
  const client = await WsClient.connect((await host.waitFor('host.ready')).url);
  const set = await client.call('settings.set', { ramThreshold: threshold, warnThreshold: threshold - 0.5 });
  client.close();
  if (!set.ok) throw new Error(`settings.set refused: ${JSON.stringify(set)}`);
}

export async function fillRun(
  rateMbps: number,
  policy: Policy,
  headroomMb: number,
  log: (line: string) => void,
): Promise<FillRun> {
  const goDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-go-'));
  const go = path.join(goDir, 'go');
  const host = HostProcess.startBuilt(
    [
      '--interval',
      '2',
      '--watchdog-timing',
      policy === 'original' ? 'original' : 'adaptive',
      '--resurrect-delay',
      '60',
    ],
    {
      BRAIN_IN_JAR_WORKER_SCRIPT: HOG,
      BIJ_HOG_TITLE: HOG_TITLE,
      BIJ_HOG_RATE_MBPS: String(rateMbps),
      BIJ_HOG_MAX_MB: String(headroomMb * 6),
      BIJ_HOG_GO_FILE: go,
    },
  );
  let earlyoom: EarlyoomRun | undefined;
  const stopEarlyoom = untilDone(() => earlyoom?.stop());
  const stopTheHost = untilDone(async () => {
    await stopHost(host, log);
    fs.rmSync(goDir, { recursive: true, force: true });
  });
  try {
    const loaded = await host.waitFor('instance.loaded');
    // The victim of last resort on a shared machine, for earlyoom's choice and the kernel's alike.
    try {
      fs.writeFileSync(`/proc/${loaded.pid}/oom_score_adj`, '1000');
    } catch {
      // Not root: earlyoom still prefers the hog by its name.
    }
    await sleep(1000);
    const meminfo = readMeminfo();
    const used = meminfo.totalBytes - meminfo.availableBytes;
    const lineBytes = used + headroomMb * MB;
    if (policy === 'earlyoom') {
      await setLine(host, lineBytes + BACKSTOP_MB * MB, meminfo.totalBytes);
      earlyoom = await startEarlyoom(meminfo.totalBytes - lineBytes);
    } else {
      await setLine(host, lineBytes, meminfo.totalBytes);
    }

    // A fill starts at a random moment of each poller's cycle, as it does on a board; a fixed start would give a
    // polling watchdog the same (lucky or unlucky) phase in every run.
    await sleep(Math.random() * 2000);
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
      if (!crossingAt && current >= lineBytes) {
        crossingAt = Date.now();
        atCrossingUsed = current;
        hogAtCrossing = hog;
      }
      if (isGone(loaded.pid)) {
        exitAt = Date.now();
        break;
      }
      // Every 2 ms, not a spin: on a 2-core machine a spinning observer would slow the watchdog it observes.
      await sleep(2);
    }
    if (!exitAt) throw new Error(`the hog never exited (crossing ${crossingAt})`);

    const ourKill = () => host.of('watchdog.kill').find((event) => event.signal === 'SIGTERM');
    const sent = await settle(() => (policy === 'earlyoom' ? earlyoom?.sigterm : ourKill()), 3000);
    if (policy === 'earlyoom' && sent && sent.pid !== loaded.pid) {
      throw new Error(`earlyoom sent SIGTERM to pid ${sent.pid}, not the hog (${loaded.pid})`);
    }
    const backstopKill = policy === 'earlyoom' ? ourKill() : undefined;
    const backstop = backstopKill !== undefined && (sent === undefined || backstopKill.at < sent.at);
    const sentAt = backstop ? backstopKill!.at : sent?.at;
    if (sentAt === undefined) throw new Error(`the hog exited but no ${policy} SIGTERM was seen`);
    if (!crossingAt) {
      // Stopped before the board, read every 2 ms from here, was ever at the line: a kernel threshold on the
      // instances' own group can fire while the rest of the board is a little under its share. Nothing overshot,
      // and the SIGTERM came no later than the crossing.
      return {
        sigtermMs: 0,
        exitMs: Math.max(0, exitAt - sentAt),
        overshootMb: 0,
        hogOvershootMb: 0,
        achievedMbps: (peak - used) / MB / ((exitAt - startedAt) / 1000),
        hogMbps: (hogPeak - hogAtStart) / MB / ((exitAt - startedAt) / 1000),
        backstop,
        beforeTheLine: true,
        underMb: (lineBytes - peak) / MB,
        killedBy: policy === 'earlyoom' ? 'earlyoom' : describeKill(ourKill()),
      };
    }
    return {
      sigtermMs: sentAt - crossingAt,
      exitMs: exitAt - crossingAt,
      overshootMb: (peak - lineBytes) / MB,
      hogOvershootMb: (hogPeak - hogAtCrossing) / MB,
      achievedMbps: (atCrossingUsed - used) / MB / ((crossingAt - startedAt) / 1000),
      hogMbps: (hogAtCrossing - hogAtStart) / MB / ((crossingAt - startedAt) / 1000),
      backstop,
      beforeTheLine: false,
      underMb: 0,
      killedBy: policy === 'earlyoom' ? 'earlyoom' : describeKill(ourKill()),
    };
  } finally {
    await stopEarlyoom();
    await stopTheHost();
  }
}
