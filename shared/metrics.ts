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
  /** Null where there is no GPU. On a Jetson the memory figures are the shared pool's (the RAM's). */
  gpu: GpuMetrics | null;
  /** Memory pressure stall information (/proc/pressure/memory), where the kernel has it. */
  psi: PsiMetrics | null;
  /** Temperatures by thermal zone type ("cpu-thermal", "gpu-thermal", ...), in C. */
  temperaturesC: Record<string, number>;
  /** The watchdog's sampling interval when this sample was taken (it speeds up near the limits). */
  intervalMs: number;
  /** Each running worker's memory, and its token rate. */
  instances: Partial<Record<Role, InstanceMetrics>>;
  /** How fast memory grew since the watchdog's previous sample, as the watchdog measures it (absent on the first). */
  fill?: FillRates;
}

/**
 * Growth between two of the watchdog's samples, bytes per second (negative: falling): the rates it paces its
 * sampling by, carried to the panel for "kill line in N s at the current rate".
 */
export interface FillRates {
  /** The board's used RAM (MemTotal - MemAvailable). */
  ramBytesPerS: number;
  /** Each worker's RSS, for the workers the watchdog may signal. */
  instances: Partial<Record<Role, number>>;
}

export interface GpuMetrics {
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  /** memoryUsed / memoryTotal x 100, when both are known. */
  percent: number | null;
  loadPercent: number | null;
  /** The memory figures are the RAM's (a Jetson). */
  unified: boolean;
  /**
   * The tool the figures come from (nvidia-smi on a discrete GPU; tegrastats for a Jetson's load without devfreq):
   * whether they are live. The figures it gives are null when they are not, never the last ones seen. Absent where no
   * tool is involved.
   */
  tool?: GpuToolHealth;
}

export interface GpuToolHealth {
  /**
   * live: a usable line within the stale window; waiting: none yet since the start; stale: none within the window
   * (silent, or printing garbage); stuck: its process cannot be killed and is abandoned; gave-up: not installed.
   */
  state: 'live' | 'waiting' | 'stale' | 'stuck' | 'gave-up';
  /** For a person, e.g. "nvidia-smi not answering for 7 s"; empty when live. */
  note: string;
}

export interface PsiMetrics {
  /** Share of time some task stalled on memory over the last 10 s, percent. */
  someAvg10: number;
  /** Share of time all tasks stalled on memory over the last 10 s, percent. */
  fullAvg10: number;
}

/**
 * What the host knows of one running worker's memory: the sampler fills it once per sample (the RSS from
 * /proc/<pid>/status, the rest from the instance), and the watchdog, the metrics frames and the cards all read it.
 */
export interface WorkerMemory {
  role: Role;
  pid: number;
  /** RssAnon + RssFile: with mmap the weights are RssFile, without it RssAnon. */
  rssBytes: number;
  rssAnonBytes: number;
  rssFileBytes: number;
  /** What node-llama-cpp in the worker says it holds on the GPU, when it has a GPU backend. */
  vramBytes: number | null;
  /** The instance's RAM limit at the time. */
  limitBytes: number;
  /** Left to the kernel's limit: the watchdog never signals it. */
  spare: boolean;
  /** Loaded or loading, and not already on its way out: the watchdog may signal it. */
  killable: boolean;
}

/** What the sampler is told of a worker before it reads the worker's memory. */
export type WorkerIdentity = Omit<WorkerMemory, 'rssBytes' | 'rssAnonBytes' | 'rssFileBytes'>;

/** A worker's memory in a metrics frame, with its token rate. */
export interface InstanceMetrics extends WorkerMemory {
  /** Tokens streamed per second since the previous frame sent to the panel. */
  tokensPerSecond: number | null;
}
