import type { Role } from './instances.js';

/** One sample of the board and of each worker, as the sampler takes it. */
export interface MetricsFrame {
  /** Epoch milliseconds. */
  t: number;
  ramTotalBytes: number;
  /** MemTotal - MemAvailable, the original's definition of "used". */
  ramUsedBytes: number;
  /** ramUsedBytes / ramTotalBytes x 100. */
  ramPercent: number;
  /** Resident memory (RssAnon + RssFile) of each running worker. */
  instances: Partial<Record<Role, InstanceMetrics>>;
}

export interface InstanceMetrics {
  pid: number;
  rssBytes: number;
  rssAnonBytes: number;
  rssFileBytes: number;
}
