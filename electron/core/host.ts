import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { HostSnapshot, ModelCheck } from '../../shared/api.js';
import { EPHEMERAL_EVENT_TYPES, type HostEvent } from '../../shared/events.js';
import { ROLES, type InstanceSnapshot, type Role } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import { ApiFailure, createApi, type Api } from './api.js';
import type { RunFlags } from './cli/args.js';
import { ensureDemoModel } from './demoModel.js';
import { validateModel } from './gguf/validateModel.js';
import { eventLogger, type Logger } from './logger.js';
import { RingBuffer } from './ringBuffer.js';
import { Sampler } from './sampler/sampler.js';
import { DeathCountStore } from './store/deathCounts.js';
import { defaultDataDir } from './store/dataDir.js';
import { SessionStore } from './store/sessionStore.js';
import { InstanceSupervisor, type LaunchConfig } from './supervisor/instanceSupervisor.js';

export type EventListener = (event: HostEvent) => void;

/** Metrics history kept for a client that connects: an hour at the default 1 s interval. */
const METRICS_CAPACITY = 3600;
const METRICS_MAX_AGE_MS = 60 * 60 * 1000;
/** Events kept for the panel's event log. */
const EVENTS_CAPACITY = 500;

/**
 * The host: everything the app does, without Electron. It owns the instances, the sampler and the files, and speaks
 * to the outside only through events (subscribe) and the api table (api.call). The Electron shell and the headless
 * entry point both run exactly this.
 */
export class Host {
  readonly api: Api;
  readonly store: SessionStore;
  readonly log: Logger;
  private readonly listeners = new Set<EventListener>();
  private readonly instances = new Map<Role, InstanceSupervisor>();
  private readonly metrics = new RingBuffer<MetricsFrame>(METRICS_CAPACITY, METRICS_MAX_AGE_MS, (frame) => frame.t);
  private readonly recentEvents = new RingBuffer<HostEvent>(EVENTS_CAPACITY, Number.POSITIVE_INFINITY, () => 0);
  private readonly sampler: Sampler;
  private readonly modelPath: string;
  private readonly demo: boolean;
  private closed = false;

  private constructor(
    readonly flags: RunFlags,
    readonly dataDir: string,
    model: { path: string; demo: boolean },
  ) {
    this.modelPath = model.path;
    this.demo = model.demo;
    this.store = new SessionStore(dataDir);
    this.log = eventLogger((event) => this.emit(event));
    const deathCounts = new DeathCountStore(this.store.paths.deaths);
    const roles: readonly Role[] = flags.mode === 'matrix' ? ROLES : ['SUBJECT'];
    for (const role of roles) {
      this.instances.set(
        role,
        new InstanceSupervisor({
          role,
          store: this.store,
          deathCounts,
          emit: (event) => this.emit(event),
          log: this.log,
          launchConfig: () => this.launchConfig(),
          backoff: { baseMs: flags.resurrectDelayS * 1000, maxMs: 60_000, quickDeathMs: 30_000 },
          graceMs: flags.graceS * 1000,
        }),
      );
    }
    this.sampler = new Sampler({
      intervalMs: flags.sampleIntervalS * 1000,
      workers: () =>
        [...this.instances.values()].flatMap((instance) =>
          instance.pid === null ? [] : [{ role: instance.role, pid: instance.pid }],
        ),
      onFrame: (frame) => this.onFrame(frame),
    });
    this.api = createApi({
      snapshot: () => this.snapshot(),
      startInstances: (role) => this.startInstances(role),
      stopInstances: (role) => this.stopInstances(role),
      killInstance: (role) => this.killInstance(role),
      checkModel: (file) => this.checkModel(file),
    });
  }

  /** Creates the host: data directory, files, the demo model if no model was given. Starts nothing yet. */
  static create(flags: RunFlags): Host {
    const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
    fs.mkdirSync(dataDir, { recursive: true });
    const model = flags.model
      ? { path: flags.model, demo: false }
      : { path: ensureDemoModel(path.join(dataDir, 'models')), demo: true };
    const host = new Host(flags, dataDir, model);
    const repaired = host.store.repairEarlierSessions();
    for (const file of repaired) host.log.warn('host', `cut a torn last line from ${file}`);
    return host;
  }

  /** Starts sampling and, unless --no-autostart, the instances. */
  run(): void {
    this.sampler.start();
    this.log.info(
      'host',
      `session ${this.store.sessionId}, ${this.flags.mode} mode, model ${this.modelPath}${this.demo ? ' (demo)' : ''}`,
    );
    // A refused start (a bad model file) is on the card and in the events already; the host stays up for the fix.
    if (this.flags.autostart) for (const instance of this.instances.values()) instance.start();
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: HostEvent): void {
    if (!EPHEMERAL_EVENT_TYPES.has(event.type)) {
      this.recentEvents.push(event);
      if (!this.closed) {
        try {
          this.store.appendEvent(event);
        } catch {
          // The events log is a convenience; the transcript and crash log carry what must not be lost.
        }
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken client must not silence the others.
      }
    }
  }

  snapshot(): HostSnapshot {
    return {
      sessionId: this.store.sessionId,
      dataDir: this.dataDir,
      mode: this.flags.mode,
      instances: [...this.instances.values()].map((instance) => instance.snapshot()),
      metrics: this.metrics.toArray(),
      events: this.recentEvents.toArray(),
    };
  }

  /** Stops every instance gracefully, then closes the files. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.sampler.stop();
    await Promise.all([...this.instances.values()].map((instance) => instance.stop()));
    for (const instance of this.instances.values()) instance.dispose();
    this.closed = true;
    this.store.close();
  }

  private launchConfig(): LaunchConfig {
    const contextSize = Math.min(this.flags.contextSize ?? 2048, this.modelContextLength());
    return {
      modelPath: this.modelPath,
      demo: this.demo,
      plan: {
        gpuLayers: this.flags.gpuLayers ?? 0,
        contextSize,
        batchSize: Math.min(512, contextSize),
        threads: this.flags.threads ?? Math.max(1, Math.min(6, Math.floor(os.availableParallelism() / 2))),
        useMmap: true,
        useMlock: false,
      },
      generation: { maxTokens: this.flags.maxTokens, temperature: this.flags.temperature, tokenBatchMs: 50 },
      thinkPauseMs: this.flags.thinkPauseS * 1000,
    };
  }

  private modelContextLength(): number {
    const validation = validateModel(this.modelPath);
    if (!validation.ok) return Number.POSITIVE_INFINITY;
    const key = `${validation.check.architecture}.context_length`;
    const value = validation.header.metadata.get(key);
    return typeof value === 'number' && value > 0 ? value : Number.POSITIVE_INFINITY;
  }

  private instance(role: Role): InstanceSupervisor {
    const instance = this.instances.get(role);
    if (!instance) {
      throw new ApiFailure('BAD_STATE', `${role} does not run in ${this.flags.mode} mode`, 'instance');
    }
    return instance;
  }

  private selected(role: Role | undefined): InstanceSupervisor[] {
    return role ? [this.instance(role)] : [...this.instances.values()];
  }

  private startInstances(role: Role | undefined): InstanceSnapshot[] {
    const failed: string[] = [];
    for (const instance of this.selected(role)) {
      if (!instance.start()) failed.push(instance.snapshot().error?.message ?? `${instance.role} did not start`);
    }
    if (failed.length > 0) throw new ApiFailure('MODEL_INVALID', failed.join('\n'));
    return this.selected(role).map((instance) => instance.snapshot());
  }

  private async stopInstances(role: Role | undefined): Promise<InstanceSnapshot[]> {
    await Promise.all(this.selected(role).map((instance) => instance.stop()));
    return this.selected(role).map((instance) => instance.snapshot());
  }

  private killInstance(role: Role): InstanceSnapshot {
    const instance = this.instance(role);
    if (!instance.kill('killed')) {
      throw new ApiFailure('BAD_STATE', `${role} has no running worker to kill (it is ${instance.currentState})`);
    }
    return instance.snapshot();
  }

  private checkModel(file: string): ModelCheck {
    const validation = validateModel(file);
    if (!validation.ok) throw new ApiFailure('MODEL_INVALID', validation.message, 'path');
    return validation.check;
  }

  private onFrame(frame: MetricsFrame): void {
    for (const instance of this.instances.values()) {
      instance.recordMemory(frame.instances[instance.role]?.rssBytes ?? null);
    }
    this.metrics.push(frame);
    this.emit({ type: 'metrics.frame', frame });
  }
}
