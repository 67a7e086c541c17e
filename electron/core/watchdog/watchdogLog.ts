import fs from 'node:fs';

import type { Role } from '../../../shared/instances.js';
import type { WatchdogThresholds } from '../../../shared/events.js';
import type { MetricsFrame } from '../../../shared/metrics.js';
import type { EnforcementInfo, KillReason, ThermalState } from '../../../shared/watchdog.js';
import type { Crossing } from '../../../shared/watchdog.js';
import { LineFile } from '../store/jsonlFile.js';

/**
 * The lines the operators know, in the original's shape: a start line with the thresholds, a status line every
 * sample ("[GPU Watchdog] GPU: 45.2% | System RAM: 62.3%", prefixed with a lightning bolt while sampling fast),
 * CRITICAL and kill lines. They go to logs/watchdog.log, and to the terminal when headless without --json-events.
 */

const TAG = '[GPU Watchdog]';
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GB`;

const REASON_WORDS: Record<KillReason, string> = {
  'ram-limit': 'over its RAM limit',
  'ram-threshold': 'to prevent system crash',
  'gpu-threshold': 'to prevent OOM crash',
};

export function statusLine(frame: MetricsFrame, fast: boolean): string {
  const gpu =
    frame.gpu === null || frame.gpu.percent === null
      ? 'GPU not available'
      : `GPU: ${frame.gpu.percent.toFixed(1)}%${frame.gpu.unified ? ' (shared with RAM)' : ''}`;
  const instances = Object.entries(frame.instances).map(
    ([role, metrics]) =>
      ` | ${role}: ${mb(metrics.rssBytes)}${metrics.limitBytes ? ` of ${gb(metrics.limitBytes)}` : ''}`,
  );
  return `${fast ? '⚡' : '  '}${TAG} ${gpu} | System RAM: ${frame.ramPercent.toFixed(1)}%${instances.join('')}`;
}

export const watchdogLines = {
  start(pid: number, config: WatchdogThresholds & { enforcement: EnforcementInfo }): string {
    return (
      `${TAG} Starting monitoring (PID: ${pid}, GPU threshold: ${config.gpuThreshold}%, RAM threshold: ${config.ramThreshold}%, ` +
      `warn: ${config.warnThreshold}%, interval: ${config.intervalS} s, grace: ${config.graceS} s, ` +
      `thermal: ${config.thermalC} C, enforcement: ${config.enforcement.label})`
    );
  },
  thresholds(config: WatchdogThresholds): string {
    return (
      `${TAG} Now using GPU threshold: ${config.gpuThreshold}%, RAM threshold: ${config.ramThreshold}%, ` +
      `warn: ${config.warnThreshold}%, interval: ${config.intervalS} s, grace: ${config.graceS} s, thermal: ${config.thermalC} C`
    );
  },
  critical(crossing: Crossing): string {
    if (crossing.reason === 'ram-limit') {
      return `${TAG} ⚠️  CRITICAL: ${crossing.instance} at ${gb(crossing.value)}, at its limit of ${gb(crossing.threshold)}`;
    }
    const what = crossing.reason === 'ram-threshold' ? 'System RAM' : 'GPU memory';
    return `${TAG} ⚠️  CRITICAL: ${what} at ${crossing.value.toFixed(1)}%`;
  },
  recovered(crossing: Crossing): string {
    return `${TAG} Recovered on re-read (${crossing.reason}${crossing.instance ? ` ${crossing.instance}` : ''}): nobody killed`;
  },
  kill(role: Role, pid: number, rssBytes: number, reason: KillReason): string {
    return `${TAG} 🛑 Killing ${role} (PID ${pid}, ${mb(rssBytes)}) with SIGTERM ${REASON_WORDS[reason]} (${reason})`;
  },
  sigkill(role: Role, pid: number, graceMs: number): string {
    return `${TAG} 🛑 ${role} (PID ${pid}) still alive ${(graceMs / 1000).toFixed(1)} s after SIGTERM: SIGKILL`;
  },
  nobody(crossing: Crossing): string {
    return `${TAG} ⚠️  ${crossing.reason}: no instance the watchdog may stop (spared ones are left to the kernel)`;
  },
  spike(metric: 'ram' | 'gpu', delta: number): string {
    return `${TAG} ⚠️  ${metric === 'ram' ? 'System RAM' : 'GPU memory'} spike detected: +${delta.toFixed(1)}%`;
  },
  thermal(thermal: ThermalState): string {
    const where = thermal.hottest
      ? `${thermal.hottest.zone} at ${thermal.hottest.temperatureC.toFixed(1)}C`
      : 'no sensor';
    return thermal.paused
      ? `[Thermal Watchdog] ⚠️  ${where} (threshold ${thermal.thresholdC}C): generation paused`
      : `[Thermal Watchdog] ${where}: generation runs (pauses at ${thermal.thresholdC}C)`;
  },
};

/** Past this size the log becomes watchdog.log.1 (the one before goes) and a new one starts: weeks on a board. */
export const WATCHDOG_LOG_MAX_BYTES = 32 * 2 ** 20;

/**
 * Appends watchdog lines to a file (a status line every sample: megabytes a day), each with its time, each whole or
 * not at all, rotated past `maxBytes`. A line the disk refuses is dropped: the watchdog's events say the same, and a
 * full disk must never stop the watchdog.
 */
export class WatchdogLogFile {
  private file: LineFile | null;
  private bytes: number;

  constructor(
    private readonly path: string,
    private readonly maxBytes = WATCHDOG_LOG_MAX_BYTES,
  ) {
    this.file = LineFile.open(path, { durable: false });
    this.bytes = fs.statSync(path).size;
  }

  write(line: string): void {
    const text = `${new Date().toISOString()} ${line}`;
    try {
      if (this.bytes + text.length >= this.maxBytes) this.rotate();
      this.file ??= LineFile.open(this.path, { durable: false });
      this.file.appendLine(text);
      this.bytes += Buffer.byteLength(text) + 1;
    } catch {
      // Dropped, see above; the data folder's watch reports the full disk from the session's files.
    }
  }

  close(): void {
    this.file?.close();
    this.file = null;
  }

  private rotate(): void {
    this.close();
    this.bytes = 0;
    fs.renameSync(this.path, `${this.path}.1`);
  }
}
