/** What the board offers, as the planner and the panel see it. All sizes in bytes. */

export type GpuKind = 'none' | 'nvidia' | 'jetson';

export interface GpuInfo {
  kind: GpuKind;
  /** e.g. "NVIDIA GeForce RTX 3090", "2 x NVIDIA A100-SXM4-80GB", "Jetson (Orin, L4T R36.4.7)". */
  name: string | null;
  /** Total GPU memory (all GPUs together); on a Jetson, the shared RAM. Null when unknown. */
  memoryTotalBytes: number | null;
  memoryUsedBytes: number | null;
  /** True on a Jetson: the GPU's memory IS the RAM, one pool, never two budgets. */
  unified: boolean;
  /** GPU load, 0..100, when known. */
  loadPercent: number | null;
  /** How many GPUs were seen (discrete). */
  count: number;
}

/** A board with no GPU found: every layer runs on the CPU. */
export const NO_GPU: Readonly<GpuInfo> = {
  kind: 'none',
  name: null,
  memoryTotalBytes: null,
  memoryUsedBytes: null,
  unified: false,
  loadPercent: null,
  count: 0,
};

/** The llama.cpp backend node-llama-cpp can use here, and its own view of the VRAM. */
export interface BackendInfo {
  backend: 'cpu' | 'cuda' | 'vulkan' | 'metal';
  vramTotalBytes: number;
  vramUsedBytes: number;
  /** Why the backend is what it is, when that is worth saying (e.g. the probe failed). */
  note: string | null;
}

/** What the machine is, for a person to read (the panel's board line, doctor); taken once, never sampled. */
export interface BoardInventory {
  /** e.g. "AMD EPYC, 2 cores", "ARM Cortex-A78AE, 12 cores". */
  cpu: string;
  /** e.g. "Debian GNU/Linux 12 (bookworm)", "Ubuntu 22.04.4 LTS (jammy)". */
  os: string;
  /** e.g. "NVIDIA Jetson AGX Orin Developer Kit", "Docker Container (virtual, KVM)". */
  system: string;
}

/**
 * The CPU's instruction-set features as the kernel lists them (/proc/cpuinfo's x86 "flags" or ARM "Features" line, or
 * lscpu's "Flags"): they decide which of llama.cpp's CPU builds loads, and so which weights it copies into repacked
 * buffers (see electron/core/planner/repack.ts).
 */
export interface CpuFeatures {
  arch: 'x86_64' | 'aarch64' | 'unknown';
  /** Lower case, as listed; on a board whose cores differ, only the flags every core has. */
  flags: string[];
  /** "this machine", or the recorded file's name. */
  source: string;
}

export interface BoardResources {
  ramTotalBytes: number;
  ramAvailableBytes: number;
  cores: number;
  gpu: GpuInfo;
  /** Null when the probe has not run (recorded inputs) or could not run. */
  backend: BackendInfo | null;
  /** Where the figures came from: "this machine" or the recorded files given. */
  source: string;
  /** The CPU's features; null or absent when unknown (a recorded board without a cpuinfo recording). */
  cpu?: CpuFeatures | null;
  /**
   * This machine's inventory; null while it is not taken yet or when it could not be taken in time. Absent for a
   * recorded board, which is not this machine.
   */
  inventory?: BoardInventory | null;
}

export const GIB = 2 ** 30;
export const MIB = 2 ** 20;

/** Sizes as the operators read them: GB of 2^30 bytes, one decimal, as the original printed them. */
export function formatGb(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GB`;
}
