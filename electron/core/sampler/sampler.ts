import fs from 'node:fs';

import type { GpuKind } from '../../../shared/board.js';
import type { Role } from '../../../shared/instances.js';
import type {
  GpuMetrics,
  GpuToolHealth,
  InstanceMetrics,
  MetricsFrame,
  WorkerIdentity,
} from '../../../shared/metrics.js';
import { GPU_LOAD_FILES, parseGpuLoad } from '../board/jetson.js';
import {
  HOST_QUERY_FIELDS,
  isGoodReading,
  nvidiaSmiCommand,
  parseNvidiaSmiCsv,
  type NvidiaGpu,
} from '../board/nvidiaSmi.js';
import { parseTegrastatsLine } from '../board/tegrastats.js';
import type { Logger } from '../logger.js';
import { readMeminfo, readProcessMemory, readPsi, ramPercent } from './procfs.js';
import { StreamMonitor, type Backoff, type MonitorStatus } from './streamMonitor.js';
import { findThermalZones, readTemperatures, THERMAL_DIR, type ThermalZone } from './thermal.js';

/**
 * Takes one sample on demand: /proc/meminfo, each worker's /proc/<pid>/status, PSI, the thermal zones, and the GPU
 * (the latest line of one long-running nvidia-smi on a discrete GPU; on a Jetson the RAM, since it is the GPU's
 * memory, and the devfreq load or tegrastats). Every read is a file read of about 0.1 ms, so the watchdog can sample
 * every 100 ms when it matters. The watchdog decides when. Nothing here waits on a tool: a GPU tool that stops
 * answering makes its figures null (and says why in `tool`), while the RAM is sampled as ever.
 */
export interface SamplerOptions {
  gpuKind: GpuKind;
  /** The running workers, asked once per sample. */
  workers: () => readonly WorkerIdentity[];
  log: Logger;
  meminfoPath?: string;
  psiPath?: string;
  thermalDir?: string;
  /** nvidia-smi's command (a recording-fed stand-in in tests), how often it prints, and how many GPUs it reports. */
  nvidiaSmi?: { command: string; intervalMs: number; gpuCount: number };
  /** The GPU tool's restart back-off (tests shorten it). */
  backoff?: Backoff;
}

export class Sampler {
  private gpuKind: GpuKind;
  private gpuCount: number;
  private running = false;
  private readonly zones: ThermalZone[];
  private readonly gpuLoadFile: string | null;
  private gpuMonitor: StreamMonitor | null = null;
  private latestGpus = new Map<number, NvidiaGpu>();
  private tegraLoad: number | null = null;

  constructor(private readonly options: SamplerOptions) {
    this.gpuKind = options.gpuKind;
    this.gpuCount = options.nvidiaSmi?.gpuCount ?? 1;
    this.zones = findThermalZones(options.thermalDir ?? THERMAL_DIR);
    this.gpuLoadFile = GPU_LOAD_FILES.find((file) => fs.existsSync(file)) ?? null;
  }

  start(): void {
    this.running = true;
    const { log, backoff } = this.options;
    const onStatus = (status: MonitorStatus) => {
      if (status.kind === 'restarting') {
        log.warn('sampler', `${status.reason}; restarting it in ${(status.retryInMs ?? 0) / 1000} s`);
      }
      if (status.kind === 'stuck' || status.kind === 'gave-up') log.warn('sampler', `GPU unknown: ${status.reason}`);
    };
    if (this.gpuKind === 'nvidia') {
      const { command, intervalMs } = this.options.nvidiaSmi ?? { command: nvidiaSmiCommand(), intervalMs: 250 };
      const gpuCount = Math.max(1, this.gpuCount);
      // The host's own query; with several GPUs each tick prints one line per GPU, in order.
      let line = 0;
      this.gpuMonitor = new StreamMonitor({
        command,
        args: [
          `--query-gpu=${HOST_QUERY_FIELDS.join(',')}`,
          '--format=csv,noheader,nounits',
          '-lms',
          String(intervalMs),
        ],
        staleAfterMs: Math.max(3000, intervalMs * 8),
        ...(backoff && { backoff }),
        onLine: (text) => {
          const gpus = parseNvidiaSmiCsv(text);
          for (const gpu of gpus) this.latestGpus.set(line++ % gpuCount, gpu);
          return isGoodReading(gpus);
        },
        onStatus,
      });
      this.gpuMonitor.start();
    } else if (this.gpuKind === 'jetson' && this.gpuLoadFile === null) {
      // Without a readable devfreq load, tegrastats reports GR3D (the GPU) once a second.
      this.gpuMonitor = new StreamMonitor({
        command: 'tegrastats',
        args: ['--interval', '1000'],
        staleAfterMs: 5000,
        ...(backoff && { backoff }),
        onLine: (text) => {
          const sample = parseTegrastatsLine(text);
          if (!sample) return false;
          this.tegraLoad = sample.gpuLoadPercent ?? this.tegraLoad;
          return true;
        },
        onStatus,
      });
      this.gpuMonitor.start();
    }
  }

  stop(): void {
    this.running = false;
    this.gpuMonitor?.stop();
    this.gpuMonitor = null;
  }

  /** The board refresh found the GPU start-up could not know yet (or lost it): the GPU's tool follows. */
  setGpu(kind: GpuKind, count: number): void {
    if (kind === this.gpuKind && count === this.gpuCount) return;
    const running = this.running;
    this.stop();
    this.gpuKind = kind;
    this.gpuCount = count;
    this.latestGpus.clear();
    this.tegraLoad = null;
    if (running) this.start();
  }

  sample(intervalMs: number, now = Date.now()): MetricsFrame {
    const meminfo = readMeminfo(this.options.meminfoPath);
    const instances: Partial<Record<Role, InstanceMetrics>> = {};
    for (const worker of this.options.workers()) {
      const memory = readProcessMemory(worker.pid);
      if (!memory) continue;
      instances[worker.role] = {
        ...worker,
        rssBytes: memory.rssBytes,
        rssAnonBytes: memory.rssAnonBytes,
        rssFileBytes: memory.rssFileBytes,
        tokensPerSecond: null,
      };
    }
    const usedBytes = meminfo.totalBytes - meminfo.availableBytes;
    const psi = readPsi(this.options.psiPath);
    return {
      t: now,
      ramTotalBytes: meminfo.totalBytes,
      ramUsedBytes: usedBytes,
      ramPercent: ramPercent(meminfo),
      gpu: this.gpuMetrics(usedBytes, meminfo.totalBytes),
      psi: psi ? { someAvg10: psi.someAvg10, fullAvg10: psi.fullAvg10 } : null,
      temperaturesC: readTemperatures(this.zones),
      intervalMs,
      instances,
    };
  }

  private gpuMetrics(ramUsedBytes: number, ramTotalBytes: number): GpuMetrics | null {
    const tool: GpuToolHealth | null = this.gpuMonitor?.health() ?? null;
    const live = tool === null || tool.state === 'live';
    switch (this.gpuKind) {
      case 'none':
        return null;
      case 'jetson': {
        let load = live ? this.tegraLoad : null;
        if (this.gpuLoadFile) {
          try {
            load = parseGpuLoad(fs.readFileSync(this.gpuLoadFile, 'utf8'));
          } catch {
            load = null;
          }
        }
        // Unified memory: the GPU's memory is the RAM.
        return {
          memoryUsedBytes: ramUsedBytes,
          memoryTotalBytes: ramTotalBytes,
          percent: (ramUsedBytes / ramTotalBytes) * 100,
          loadPercent: load,
          unified: true,
          ...(tool && { tool }),
        };
      }
      case 'nvidia': {
        const gpus = live ? [...this.latestGpus.values()] : [];
        const known = gpus.filter((gpu) => gpu.memoryUsedBytes !== null && gpu.memoryTotalBytes !== null);
        const used = known.reduce((sum, gpu) => sum + gpu.memoryUsedBytes!, 0);
        const total = known.reduce((sum, gpu) => sum + gpu.memoryTotalBytes!, 0);
        const loads = gpus.map((gpu) => gpu.utilizationPercent).filter((value): value is number => value !== null);
        return {
          memoryUsedBytes: known.length > 0 ? used : null,
          memoryTotalBytes: known.length > 0 ? total : null,
          percent: known.length > 0 && total > 0 ? (used / total) * 100 : null,
          loadPercent: loads.length > 0 ? loads.reduce((a, b) => a + b, 0) / loads.length : null,
          unified: false,
          ...(tool && { tool }),
        };
      }
    }
  }
}
