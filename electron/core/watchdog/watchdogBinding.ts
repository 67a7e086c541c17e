import type { UnstampedEvent } from '../../../shared/events.js';
import type { BoardResources } from '../../../shared/board.js';
import type { Role } from '../../../shared/instances.js';
import type { MetricsFrame, WorkerIdentity } from '../../../shared/metrics.js';
import type { Settings } from '../../../shared/settings.js';
import type { EnforcementInfo, KillReason, LineHold, ThermalState } from '../../../shared/watchdog.js';
import type { LineWatcher } from '../enforcement/kernelLines.js';
import { nvidiaSmiCommand } from '../board/nvidiaSmi.js';
import type { Logger } from '../logger.js';
import { Sampler } from '../sampler/sampler.js';
import { lineHolds, MIN_INTERVAL_MS } from './lineHolds.js';
import { Watchdog, type RunnerConfig } from './watchdog.js';
import { WatchdogLogFile } from './watchdogLog.js';

export interface WatchdogBindingOptions {
  resources: BoardResources;
  /** How limits are enforced, and the kernel's watch on the lines where it has one (cgroup v1, v2). */
  enforcement: { info: EnforcementInfo; kernelLines?: LineWatcher | null };
  settings: () => Settings;
  /** The running workers, asked once per sample. */
  workers: () => WorkerIdentity[];
  /** Ends a role's worker with SIGTERM, SIGKILL after the grace; false when there is nothing to signal. */
  kill: (role: Role, reason: KillReason, onSigkill: () => void) => boolean;
  /** True once that worker has exited. */
  gone: (role: Role, pid: number) => boolean;
  /** Every sample, as the watchdog took it. */
  onSample: (frame: MetricsFrame) => void;
  emit: (event: UnstampedEvent) => void;
  log: Logger;
  logFile: string;
  /** Each line, once it is in the log file (a terminal prints them). */
  line: (text: string) => void;
}

/** The watchdog's own figures not in the settings. */
const SPIKE_POINTS = 10;
const NVIDIA_SMI_INTERVAL_MS = 250;

/**
 * The sampler and the watchdog, wired to the host's settings and instances: the settings are read at every sample
 * (a change applies at the next one), each line goes to logs/watchdog.log and then to the host.
 */
export class WatchdogBinding {
  private readonly sampler: Sampler;
  private readonly watchdog: Watchdog;
  private readonly logFile: WatchdogLogFile;
  private readonly kernelLines: LineWatcher | null;
  private gpuKind: BoardResources['gpu']['kind'];

  constructor(private readonly options: WatchdogBindingOptions) {
    const kernelLines = options.enforcement.kernelLines ?? null;
    this.gpuKind = options.resources.gpu.kind;
    this.kernelLines = kernelLines;
    this.logFile = new WatchdogLogFile(options.logFile);
    this.sampler = new Sampler({
      gpuKind: options.resources.gpu.kind,
      log: options.log,
      thermalDir: process.env.BRAIN_IN_JAR_THERMAL_DIR,
      nvidiaSmi: {
        command: nvidiaSmiCommand(),
        intervalMs: NVIDIA_SMI_INTERVAL_MS,
        gpuCount: options.resources.gpu.count,
      },
      workers: options.workers,
    });
    this.watchdog = new Watchdog(
      {
        sample: (intervalMs) => this.sampler.sample(intervalMs),
        kill: options.kill,
        gone: options.gone,
        onFrame: (frame) => {
          this.placeKernelLines(frame);
          options.onSample(frame);
        },
        emit: options.emit,
        line: (text) => {
          this.logFile.write(text);
          options.line(text);
        },
        config: () => runnerConfig(options.settings(), this.kernelHeld()),
      },
      options.enforcement.info,
    );
    kernelLines?.onSignal((signal) => this.watchdog.kernelSignaled(signal));
  }

  /** Which mechanism holds each line now. */
  lines(): LineHold[] {
    return lineHolds({
      enforcement: this.options.enforcement.info.kind,
      kernelLinesFailed: this.kernelLines ? this.kernelLines.failed : 'none',
      baseIntervalMs: this.options.settings().intervalS * 1000,
      minIntervalMs: MIN_INTERVAL_MS,
      nvmap: this.gpuKind === 'jetson',
    });
  }

  /** The kernel holds no line under the original's timing: that mode is the first release's policy, a baseline. */
  private kernelOn(): boolean {
    return this.kernelLines !== null && this.options.settings().watchdogTiming !== 'original';
  }

  private kernelHeld(): RunnerConfig['kernelHeld'] {
    const held = this.kernelOn() && this.kernelLines!.failed === null && this.gpuKind !== 'jetson';
    // v2's parent memory.high only throttles: polling, fast near the line, names who goes.
    return { limits: held, ramThreshold: held && this.options.enforcement.info.kind === 'cgroup-v1' };
  }

  private placeKernelLines(frame: MetricsFrame): void {
    if (!this.kernelLines || !this.kernelOn()) return;
    const settings = this.options.settings();
    this.kernelLines.update({
      ramUsedBytes: frame.ramUsedBytes,
      ramTotalBytes: frame.ramTotalBytes,
      ramThreshold: settings.ramThreshold,
      instances: Object.values(frame.instances),
      victimPolicy: settings.victimPolicy,
      graceMs: settings.graceS * 1000,
    });
  }

  start(): void {
    this.sampler.start();
    this.watchdog.start();
  }

  stop(): void {
    this.watchdog.stop();
    this.sampler.stop();
  }

  close(): void {
    this.stop();
    this.logFile.close();
  }

  /** The board as a refresh found it: the sampler follows its GPU (start-up may not have known it yet). */
  boardChanged(resources: BoardResources): void {
    this.sampler.setGpu(resources.gpu.kind, resources.gpu.count);
    this.gpuKind = resources.gpu.kind;
  }

  /** Why nothing may start now (memory above the warn level), or null. */
  hold(): string | null {
    return this.watchdog.hold();
  }

  get thermal(): ThermalState {
    return this.watchdog.thermalState;
  }
}

function runnerConfig(settings: Settings, kernelHeld: RunnerConfig['kernelHeld']): RunnerConfig {
  return {
    kernelHeld,
    ramThreshold: settings.ramThreshold,
    gpuThreshold: settings.gpuThreshold,
    warnThreshold: settings.warnThreshold,
    baseIntervalMs: settings.intervalS * 1000,
    minIntervalMs: MIN_INTERVAL_MS,
    victimPolicy: settings.victimPolicy,
    timing: settings.watchdogTiming,
    spikePoints: SPIKE_POINTS,
    graceMs: settings.graceS * 1000,
    thermalC: settings.thermalC,
  };
}
