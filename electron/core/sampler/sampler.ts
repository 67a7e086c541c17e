import type { Role } from '../../../shared/instances.js';
import type { InstanceMetrics, MetricsFrame } from '../../../shared/metrics.js';
import { readMeminfo, readProcessMemory, ramPercent } from './procfs.js';

export interface SamplerOptions {
  intervalMs: number;
  /** The live workers to measure, by role. */
  workers: () => ReadonlyArray<{ role: Role; pid: number }>;
  onFrame: (frame: MetricsFrame) => void;
  /** Where to read meminfo; a recorded file in tests. */
  meminfoPath?: string;
}

/** Reads /proc directly on a timer: the board's RAM and each worker's RssAnon + RssFile. */
export class Sampler {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SamplerOptions) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.options.onFrame(this.sample());
      this.timer = setTimeout(tick, this.options.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  sample(now = Date.now()): MetricsFrame {
    const meminfo = readMeminfo(this.options.meminfoPath);
    const instances: Partial<Record<Role, InstanceMetrics>> = {};
    for (const { role, pid } of this.options.workers()) {
      const memory = readProcessMemory(pid);
      if (!memory) continue;
      instances[role] = {
        pid,
        rssBytes: memory.rssBytes,
        rssAnonBytes: memory.rssAnonBytes,
        rssFileBytes: memory.rssFileBytes,
      };
    }
    return {
      t: now,
      ramTotalBytes: meminfo.totalBytes,
      ramUsedBytes: meminfo.totalBytes - meminfo.availableBytes,
      ramPercent: ramPercent(meminfo),
      instances,
    };
  }
}
