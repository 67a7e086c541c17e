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
  /**
   * Why the GPU is not (fully) known, when it is not: nvidia-smi not answering, not answered yet, or giving values no
   * GPU can have. Absent when all is known.
   */
  note?: string;
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

/** A llama.cpp GPU backend as node-llama-cpp names it; false for a CPU-only build. */
export type LlamaGpu = 'cuda' | 'vulkan' | 'metal' | false;

/** One llama.cpp binary node-llama-cpp could load (a prebuilt package or a local build), judged for this system. */
export interface LlamaBinary {
  kind: 'prebuilt' | 'local';
  /** Its folder's name: "linux-arm64", "linux-arm64-cuda-<hash of its CMake options>". */
  name: string;
  dir: string;
  gpu: LlamaGpu;
  /** The custom CMake options it was built with, from its build metadata (e.g. CMAKE_CUDA_ARCHITECTURES=87). */
  cmakeOptions: Record<string, string>;
  /** What it was built on, from its metadata: "Ubuntu 22.04". */
  builtOn: string | null;
  /** The newest version of each runtime its ELF files require: "GLIBC_2.34", "GLIBCXX_3.4.30", "CXXABI_1.3.13". */
  needs: string[];
  /** True: it loads here; false: it cannot (see missing, why); null: cannot tell (a recording that does not say). */
  loads: boolean | null;
  /** What this system lacks for it: versions ("GLIBC_2.34") and libraries ("libcuda.so.1"). */
  missing: string[];
  why: string;
}

/** Which llama.cpp binary the workers use, what else there is, and how to get what is missing. */
export interface LlamaDiscovery {
  /** e.g. "linux-arm64". */
  platform: string;
  system: { glibc: string | null; glibcxx: string | null; os: string | null; source: string };
  candidates: LlamaBinary[];
  /** What a worker with layers on the GPU loads (a CPU-only plan prefers a CPU build); null when nothing loads. */
  using: {
    name: string;
    kind: 'prebuilt' | 'local';
    gpu: LlamaGpu;
    cmakeOptions: Record<string, string>;
    why: string;
  } | null;
  /** The exact command that gets what is missing (a CUDA build on a Jetson), or null when nothing is. */
  advice: string | null;
}

const LLAMA_GPU_NAMES = { cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal' } as const;

export function llamaGpuLabel(gpu: LlamaGpu): string {
  return gpu === false ? 'CPU' : LLAMA_GPU_NAMES[gpu];
}

/** "local linux-arm64-cuda-<hash> (CUDA, CMAKE_CUDA_ARCHITECTURES=87)". */
export function describeLlamaBinary(binary: Pick<LlamaBinary, 'kind' | 'name' | 'gpu' | 'cmakeOptions'>): string {
  const options = Object.entries(binary.cmakeOptions)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  return `${binary.kind} ${binary.name} (${llamaGpuLabel(binary.gpu)}${options ? `, ${options}` : ''})`;
}

/** The short of why the workers use what they use. */
export function llamaReason(llama: LlamaDiscovery): string {
  const { using, candidates } = llama;
  if (!using) return `no llama.cpp binary here loads on this system (${candidates.length} found)`;
  if (using.gpu !== false) return 'it loads here';
  return candidates.some((candidate) => candidate.gpu !== false)
    ? 'no GPU build loads here'
    : `no GPU build for ${llama.platform} here`;
}

/** One line for the board: "llama.cpp: <which binary>, <why>". */
export function llamaSummary(llama: LlamaDiscovery): string {
  return llama.using
    ? `llama.cpp: ${describeLlamaBinary(llama.using)}, ${llamaReason(llama)}`
    : `llama.cpp: ${llamaReason(llama)}`;
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
  /** The llama.cpp binaries found and which one the workers use; absent where discovery did not run. */
  llama?: LlamaDiscovery;
}

export const GIB = 2 ** 30;
export const MIB = 2 ** 20;

/** Sizes as the operators read them: GB of 2^30 bytes, one decimal, as the original printed them. */
export function formatGb(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GB`;
}
