import type { UnstampedEvent, WatchdogThresholds } from '../../../shared/events.js';
import type { Role } from '../../../shared/instances.js';
import type { MetricsFrame, WorkerMemory } from '../../../shared/metrics.js';
import type { Crossing, EnforcementInfo, KillReason, LineMechanism, ThermalState } from '../../../shared/watchdog.js';
import {
  chooseVictim,
  crossingVerdict,
  nextTrend,
  type CrossingTrend,
  fillRate,
  fillRates,
  findCrossing,
  findSpike,
  gpuPercent,
  holdReason,
  nextIntervalMs,
  pastLine,
  type WatchdogConfig,
  type WatchdogSample,
} from './policy.js';
import { statusLine, watchdogLines } from './watchdogLog.js';
import type { KernelSignal } from '../enforcement/kernelLines.js';

/**
 * The memory watchdog: samples on its own clock (faster as the headroom shrinks), and when a line is crossed,
 * re-reads memory, chooses one victim, and asks its supervisor to end it (SIGTERM, then SIGKILL after the grace).
 * One kill per crossing, then a cooldown once the victim is gone. It signals nothing but our workers: it only ever
 * names a role, and the supervisor signals that role's own child process. Each log line is written before its event
 * is emitted, so whoever hears the event finds the line in the file.
 */

export type RunnerConfig = WatchdogConfig & { graceMs: number; thermalC: number };

export interface WatchdogHooks {
  /** One sample of the board and of every running worker (those it may signal are marked killable). */
  sample(intervalMs: number): MetricsFrame;
  /** Ends a role's worker with SIGTERM (SIGKILL after the grace); false when there is nothing to signal. */
  kill(role: Role, reason: KillReason, onSigkill: () => void): boolean;
  /** True once that worker has exited. */
  gone(role: Role, pid: number): boolean;
  onFrame(frame: MetricsFrame): void;
  emit(event: UnstampedEvent): void;
  /** A line in the original's shape, for logs/watchdog.log and the terminal. */
  line(text: string): void;
  config(): RunnerConfig;
}

/** A sample as the runner takes it: each instance the watchdog may signal, with its whole memory and pid. */
type Sample = WatchdogSample<WorkerMemory>;

/** After the victim is gone, let memory settle this long before another kill. */
const COOLDOWN_MS = 500;
/**
 * The spike guard re-reads at once after the sample that saw a crossing, then this often until crossingVerdict
 * says act (a fill, or still over after its hold) or the line is clear again (a spike: nobody is killed).
 */
const REREAD_MS = 2;
/** The fastest fill rate seen fades by half over this time, so an old burst keeps the watchdog careful for a while. */
const RATE_HALF_LIFE_MS = 60_000;
/**
 * Over a line with nobody the watchdog may stop (all spared, or none running), the crossing is said again at most
 * this often: every sample said it before, 115 times in 27 s, pushing the deaths out of the panel's log.
 */
export const NOBODY_REMINDER_MS = 10_000;
/** Generation resumes this many degrees under the thermal threshold. */
const THERMAL_HYSTERESIS_C = 5;

export class Watchdog {
  private timer: NodeJS.Timeout | null = null;
  private last: Sample | null = null;
  private fastestRate = 0;
  private crossingSince: number | null = null;
  private victim: { role: Role; pid: number } | null = null;
  private cooldownUntil = 0;
  /** The crossing last found with nobody to stop, and when it was said: repeats of it wait for the reminder. */
  private nobody: { reason: Crossing['reason']; instance: Role | null; saidAt: number } | null = null;
  private interval: number;
  private batch: Array<{ t: number; ramPercent: number; gpuPercent: number | null; intervalMs: number }> = [];
  private lastBatchAt = 0;
  private thermal: ThermalState;
  private running = false;
  /** The thresholds the last sample used, to tell the panel when a change has reached the watchdog. */
  private using: WatchdogThresholds | null = null;

  constructor(
    private readonly hooks: WatchdogHooks,
    private readonly enforcement: EnforcementInfo,
  ) {
    const config = hooks.config();
    this.interval = config.baseIntervalMs;
    this.thermal = { paused: false, hottest: null, thresholdC: config.thermalC };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.using = thresholdsOf(this.hooks.config());
    const started = { ...this.using, enforcement: this.enforcement };
    this.hooks.line(watchdogLines.start(process.pid, started));
    this.hooks.emit({ type: 'watchdog.started', ...started });
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  get thermalState(): ThermalState {
    return this.thermal;
  }

  /** Why nothing may start now (memory above the warn level), from the latest sample; null when all is well. */
  hold(): string | null {
    return this.last ? holdReason(this.last, this.hooks.config()) : null;
  }

  private read(intervalMs: number): { frame: MetricsFrame; sample: Sample } {
    const frame = this.hooks.sample(intervalMs);
    const unified = frame.gpu?.unified ?? false;
    const sample: Sample = {
      t: frame.t,
      ramUsedBytes: frame.ramUsedBytes,
      ramTotalBytes: frame.ramTotalBytes,
      ramPercent: frame.ramPercent,
      // One pool on unified memory: the RAM's line is the GPU's.
      gpuUsedBytes: unified ? null : (frame.gpu?.memoryUsedBytes ?? null),
      gpuTotalBytes: unified ? null : (frame.gpu?.memoryTotalBytes ?? null),
      instances: Object.values(frame.instances).filter((worker) => worker.killable),
    };
    return { frame, sample };
  }

  private schedule(delayMs: number, next: () => void): void {
    if (!this.running) return;
    this.timer = setTimeout(next, delayMs);
  }

  private tick(): void {
    if (!this.running) return;
    const config = this.hooks.config();
    this.noteThresholds(config);
    const { frame, sample } = this.read(this.interval);
    this.observe(frame, sample, config);

    if (this.victim && this.hooks.gone(this.victim.role, this.victim.pid)) {
      this.victim = null;
      this.cooldownUntil = Date.now() + COOLDOWN_MS;
    }
    const crossing = findCrossing(sample, config);
    if (!crossing) {
      this.crossingSince = null;
      this.nobody = null;
    }
    if (crossing && this.stillNobody(crossing, sample, config)) {
      this.scheduleNext(sample, config);
      return;
    }
    if (crossing && !this.victim && Date.now() >= this.cooldownUntil) {
      this.crossingSince ??= sample.t;
      this.hooks.line(watchdogLines.critical(crossing));
      this.hooks.emit({ type: 'watchdog.critical', ...crossing });
      if (config.timing === 'original') {
        // The original killed on the sample itself, without a second look.
        this.act(crossing, sample, config);
      } else {
        this.confirm(crossing, sample, config);
        return;
      }
    }
    this.scheduleNext(sample, config);
  }

  /**
   * The same crossing as the last one that found nobody to stop, still with nobody (someone who may be stopped, a
   * new line crossed or the line cleared ends it), and said within the reminder interval: nothing to say or do.
   */
  private stillNobody(crossing: Crossing, sample: Sample, config: RunnerConfig): boolean {
    const last = this.nobody;
    if (!last || last.reason !== crossing.reason || last.instance !== crossing.instance) {
      this.nobody = null;
      return false;
    }
    if (chooseVictim(sample, crossing, config) !== null || Date.now() - last.saidAt >= NOBODY_REMINDER_MS) {
      this.nobody = null;
      return false;
    }
    return true;
  }

  private noteThresholds(config: RunnerConfig): void {
    const now = thresholdsOf(config);
    const before = this.using;
    this.using = now;
    if (!before) return;
    const changed = (Object.keys(now) as Array<keyof WatchdogThresholds>).filter((key) => now[key] !== before[key]);
    if (changed.length === 0) return;
    this.hooks.line(watchdogLines.thresholds(now));
    this.hooks.emit({ type: 'watchdog.thresholds', ...now, changed });
  }

  /** A re-read: recovered, nobody is killed; a fill, or still over after the hold, act on what it shows now. */
  private confirm(first: Crossing, before: Sample, config: RunnerConfig, last: CrossingTrend | null = null): void {
    if (!this.running) return;
    const { frame, sample } = this.read(this.interval);
    this.observe(frame, sample, config);
    const crossing = findCrossing(sample, config);
    const trend = crossing ? nextTrend(last, pastLine(first, before, sample, config)) : null;
    const verdict = trend ? crossingVerdict(trend, sample.t - before.t) : 'recovered';
    if (verdict === 'wait') {
      this.schedule(REREAD_MS, () => this.confirm(first, before, config, trend));
      return;
    }
    if (verdict === 'act') this.act(crossing!, sample, config);
    else {
      this.crossingSince = null;
      this.nobody = null;
      this.hooks.line(watchdogLines.recovered(first));
      this.hooks.emit({ type: 'watchdog.recovered', ...first });
    }
    this.scheduleNext(sample, config);
  }

  /**
   * The kernel line watcher's thread has signaled a worker itself (SIGTERM; it sends SIGKILL after the grace): the
   * same lines and events as a kill of the watchdog's own, and the host records the death with its cause.
   */
  kernelSignaled(signal: KernelSignal): void {
    if (!this.running || (this.victim?.role === signal.role && this.victim.pid === signal.pid)) return;
    const config = this.hooks.config();
    const total = this.last?.ramTotalBytes ?? 1;
    const crossing: Crossing =
      signal.reason === 'ram-limit'
        ? { reason: 'ram-limit', instance: signal.role, value: signal.usageBytes, threshold: signal.thresholdBytes }
        : {
            reason: 'ram-threshold',
            instance: null,
            value: config.ramThreshold + ((signal.usageBytes - signal.thresholdBytes) / total) * 100,
            threshold: config.ramThreshold,
          };
    this.hooks.line(watchdogLines.critical(crossing));
    this.hooks.emit({ type: 'watchdog.critical', ...crossing });
    const known = this.last?.instances.find((one) => one.role === signal.role && one.pid === signal.pid);
    // For its own limit the thread read the worker's RssAnon + RssFile as it signaled: fresher than any sample.
    const rssBytes = signal.reason === 'ram-limit' ? signal.usageBytes : (known?.rssBytes ?? 0);
    const victim = { role: signal.role, pid: signal.pid, rssBytes, limitBytes: known?.limitBytes ?? 0 };
    this.crossingSince = signal.crossedAt;
    const ram = this.last?.ramPercent ?? 0;
    this.signal(
      victim,
      crossing,
      { ramPercent: ram, gpu: this.last ? gpuPercent(this.last) : null },
      config,
      signal.by,
    );
  }

  private act(crossing: Crossing, sample: Sample, config: RunnerConfig): void {
    const victim = chooseVictim(sample, crossing, config);
    if (!victim) {
      this.hooks.line(watchdogLines.nobody(crossing));
      this.nobody = { reason: crossing.reason, instance: crossing.instance, saidAt: Date.now() };
      return;
    }
    this.signal(victim, crossing, { ramPercent: sample.ramPercent, gpu: gpuPercent(sample) }, config, 'polling');
  }

  private signal(
    victim: Pick<WorkerMemory, 'role' | 'pid' | 'rssBytes' | 'limitBytes'>,
    crossing: Crossing,
    { ramPercent, gpu }: { ramPercent: number; gpu: number | null },
    config: RunnerConfig,
    by: LineMechanism,
  ): void {
    const since = this.crossingSince ?? Date.now();
    const base = {
      type: 'watchdog.kill' as const,
      instance: victim.role,
      reason: crossing.reason,
      pid: victim.pid,
      memoryBytes: victim.rssBytes,
      limitBytes: victim.limitBytes,
      ramPercent,
      gpuPercent: gpu,
      by,
    };
    const signaled = this.hooks.kill(victim.role, crossing.reason, () => {
      this.hooks.line(watchdogLines.sigkill(victim.role, victim.pid, config.graceMs));
      this.hooks.emit({ ...base, signal: 'SIGKILL', reactionMs: Date.now() - since, at: Date.now() });
    });
    if (!signaled) return;
    this.victim = { role: victim.role, pid: victim.pid };
    this.hooks.line(watchdogLines.kill(victim.role, victim.pid, victim.rssBytes, crossing.reason));
    this.hooks.emit({ ...base, signal: 'SIGTERM', reactionMs: Date.now() - since, at: Date.now() });
  }

  private scheduleNext(sample: Sample, config: WatchdogConfig): void {
    this.interval = nextIntervalMs(sample, this.fastestRate, config);
    this.schedule(this.interval, () => this.tick());
  }

  /** Bookkeeping for every sample: rates, spikes, the thermal guard, the status line, the batch of samples. */
  private observe(frame: MetricsFrame, sample: Sample, config: RunnerConfig): void {
    const rates = this.last ? fillRates(this.last, sample) : null;
    // The panel's "kill line in N s" is this very rate, not one of its own.
    if (rates) frame.fill = { ramBytesPerS: rates.ramBytesPerS, instances: rates.instances };
    this.hooks.onFrame(frame);
    if (this.last) {
      const elapsed = sample.t - this.last.t;
      this.fastestRate = Math.max(this.fastestRate * 0.5 ** (elapsed / RATE_HALF_LIFE_MS), fillRate(this.last, sample));
      const spike = findSpike(this.last, sample, config);
      if (spike) {
        this.hooks.line(watchdogLines.spike(spike.metric, spike.toPercent - spike.fromPercent));
        this.hooks.emit({ type: 'watchdog.spike', ...spike });
      }
    }
    this.last = sample;
    this.hooks.line(statusLine(frame, this.interval < config.baseIntervalMs));
    this.updateThermal(frame, config.thermalC);
    this.batch.push({
      t: sample.t,
      ramPercent: sample.ramPercent,
      gpuPercent: frame.gpu?.percent ?? null,
      intervalMs: frame.intervalMs,
    });
    if (sample.t - this.lastBatchAt >= 1000) {
      this.hooks.emit({ type: 'watchdog.samples', samples: this.batch });
      this.batch = [];
      this.lastBatchAt = sample.t;
    }
  }

  private updateThermal(frame: MetricsFrame, thresholdC: number): void {
    const zones = Object.entries(frame.temperaturesC);
    const hottest = zones.length === 0 ? null : zones.reduce((a, b) => (b[1] > a[1] ? b : a));
    const temperature = hottest?.[1] ?? Number.NEGATIVE_INFINITY;
    const paused = this.thermal.paused ? temperature > thresholdC - THERMAL_HYSTERESIS_C : temperature >= thresholdC;
    const changed = paused !== this.thermal.paused || thresholdC !== this.thermal.thresholdC;
    this.thermal = {
      paused,
      hottest: hottest ? { zone: hottest[0], temperatureC: hottest[1] } : null,
      thresholdC,
    };
    if (changed) {
      this.hooks.line(watchdogLines.thermal(this.thermal));
      this.hooks.emit({ type: 'watchdog.thermal', thermal: this.thermal });
    }
  }
}

function thresholdsOf(config: RunnerConfig): WatchdogThresholds {
  return {
    gpuThreshold: config.gpuThreshold,
    ramThreshold: config.ramThreshold,
    warnThreshold: config.warnThreshold,
    intervalS: config.baseIntervalMs / 1000,
    graceS: config.graceMs / 1000,
    thermalC: config.thermalC,
  };
}
