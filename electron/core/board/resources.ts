import fs from 'node:fs';
import os from 'node:os';

import {
  NO_GPU,
  type BackendInfo,
  type BoardInventory,
  type BoardResources,
  type GpuInfo,
  type LlamaDiscovery,
} from '../../../shared/board.js';
import { parseMeminfo } from '../sampler/procfs.js';
import { ToolQuery } from '../toolQuery.js';
import { parseCpuFeatures } from './cpuFeatures.js';
import { thisBoardInventorySoFar } from './inventoryProbe.js';
import { discoverLlama } from './llamaDiscovery.js';
import { GPU_LOAD_FILES, NV_TEGRA_RELEASE, parseGpuLoad, parseNvTegraRelease } from './jetson.js';
import { HOST_QUERY_FIELDS, nvidiaSmiCommand, parseNvidiaSmiCsv, type NvidiaGpu } from './nvidiaSmi.js';
import { readIfPresent } from '../readIfPresent.js';
import { parseTegrastats } from './tegrastats.js';

/**
 * The board's resources, from the texts of the files and commands that describe it. Those texts come from this
 * machine (`readLiveInputs`) or from recordings a user sends (`doctor --meminfo FILE --tegrastats FILE ...`), so a
 * Jetson's plan can be reproduced on any machine.
 */
export interface ResourceInputs {
  meminfo: string | null;
  cores: number;
  nvidiaSmi: string | null;
  /** Why there is no nvidia-smi output when it is not that the tool is absent (it did not answer in time). */
  nvidiaSmiProblem?: string | null;
  tegrastats: string | null;
  gpuLoad: string | null;
  nvTegraRelease: string | null;
  /** Told it is a Jetson (--jetson) without a release file. */
  jetson: boolean;
  /** /proc/cpuinfo (or lscpu's output): the CPU's features decide what llama.cpp repacks. Absent: unknown. */
  cpuinfo?: string | null;
  backend: BackendInfo | null;
  source: string;
  /** This machine's; recordings have none. */
  inventory?: BoardInventory | null;
  /** The llama.cpp binaries and which one the workers use (llamaDiscovery.ts). */
  llama?: LlamaDiscovery;
}

export function resourcesFrom(inputs: ResourceInputs): BoardResources {
  const tegra = inputs.tegrastats ? (parseTegrastats(inputs.tegrastats).at(-1) ?? null) : null;
  let ramTotalBytes: number;
  let ramAvailableBytes: number;
  if (inputs.meminfo) {
    const meminfo = parseMeminfo(inputs.meminfo);
    ramTotalBytes = meminfo.totalBytes;
    ramAvailableBytes = meminfo.availableBytes;
  } else if (tegra?.ramTotalBytes && tegra.ramUsedBytes !== null) {
    ramTotalBytes = tegra.ramTotalBytes;
    ramAvailableBytes = tegra.ramTotalBytes - tegra.ramUsedBytes;
  } else {
    throw new Error('no memory figures: give a meminfo (or tegrastats) recording');
  }

  const gpus = inputs.nvidiaSmi ? latestPerGpu(parseNvidiaSmiCsv(inputs.nvidiaSmi)) : [];
  const release = inputs.nvTegraRelease ? parseNvTegraRelease(inputs.nvTegraRelease) : null;
  const smiLooksJetson = gpus.some(
    (gpu) => /orin|xavier|tegra|nvgpu/i.test(gpu.name ?? '') && gpu.memoryTotalBytes === null,
  );
  const jetson = inputs.jetson || release !== null || tegra !== null || smiLooksJetson;

  let gpu: GpuInfo;
  if (jetson) {
    const load = (inputs.gpuLoad ? parseGpuLoad(inputs.gpuLoad) : null) ?? tegra?.gpuLoadPercent ?? null;
    const chip = gpus.find((candidate) => candidate.name)?.name;
    gpu = {
      kind: 'jetson',
      name: `Jetson${chip ? ` ${chip}` : ''}${release ? `, L4T ${release.release}` : ''}`,
      // Unified memory: the GPU's memory is the RAM, so its budget is the RAM's.
      memoryTotalBytes: ramTotalBytes,
      memoryUsedBytes: ramTotalBytes - ramAvailableBytes,
      unified: true,
      loadPercent: load,
      count: 1,
    };
  } else if (gpus.length > 0) {
    const known = gpus.filter((candidate) => candidate.memoryTotalBytes !== null);
    const names = [...new Set(gpus.map((candidate) => candidate.name ?? 'NVIDIA GPU'))];
    const loads = gpus
      .map((candidate) => candidate.utilizationPercent)
      .filter((value): value is number => value !== null);
    gpu = {
      kind: 'nvidia',
      name: gpus.length > 1 && names.length === 1 ? `${gpus.length} x ${names[0]}` : names.join(' + '),
      memoryTotalBytes:
        known.length > 0 ? known.reduce((sum, candidate) => sum + candidate.memoryTotalBytes!, 0) : null,
      memoryUsedBytes:
        known.length > 0 ? known.reduce((sum, candidate) => sum + (candidate.memoryUsedBytes ?? 0), 0) : null,
      unified: false,
      loadPercent: loads.length > 0 ? loads.reduce((a, b) => a + b, 0) / loads.length : null,
      count: gpus.length,
    };
  } else {
    gpu = { ...NO_GPU };
  }
  const rejected = [...new Set(gpus.flatMap((candidate) => candidate.rejected ?? []))];
  if (gpu.kind === 'none' && inputs.nvidiaSmiProblem) gpu.note = inputs.nvidiaSmiProblem;
  else if (rejected.length > 0) gpu.note = `nvidia-smi gave values no GPU can have (${rejected.join(', ')}): unknown`;
  return {
    ramTotalBytes,
    ramAvailableBytes,
    cores: inputs.cores,
    gpu,
    backend: inputs.backend,
    source: inputs.source,
    cpu: inputs.cpuinfo ? parseCpuFeatures(inputs.cpuinfo, inputs.source) : null,
    ...(inputs.inventory !== undefined && { inventory: inputs.inventory }),
    ...(inputs.llama !== undefined && { llama: inputs.llama }),
  };
}

/** A recording of a loop (-l, -lms) repeats each GPU; the last sample of each is the current one. */
function latestPerGpu(gpus: NvidiaGpu[]): NvidiaGpu[] {
  const byIndex = new Map<number, NvidiaGpu>();
  for (const gpu of gpus) byIndex.set(gpu.index, gpu);
  return [...byIndex.values()];
}

/** How long one nvidia-smi query may take; a driver that is not wedged answers in well under a second. */
export const NVIDIA_SMI_DEADLINE_MS = 5000;

/** One nvidia-smi query at a time, in this process (for the inventory; the sampler keeps one long-running child). */
const nvidiaSmiQuery = new ToolQuery({
  command: nvidiaSmiCommand,
  args: [`--query-gpu=${HOST_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'],
  deadlineMs: NVIDIA_SMI_DEADLINE_MS,
});

/**
 * nvidia-smi's answer, or why there is none: `problem` is null when the tool is simply absent (no NVIDIA driver), a
 * sentence when it failed, did not answer by its deadline, or not within `waitMs` when that is given (the query then
 * goes on to its own deadline, and the next call shares it).
 */
export async function queryNvidiaSmi(waitMs?: number): Promise<{ output: string | null; problem: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    if (waitMs !== undefined) timer = setTimeout(() => resolve(null), waitMs);
  });
  const outcome = await Promise.race([nvidiaSmiQuery.run(), late]);
  clearTimeout(timer);
  if (outcome === null) return { output: null, problem: 'nvidia-smi has not answered yet' };
  if (outcome.kind === 'missing') return { output: null, problem: null };
  if (outcome.kind === 'failed') return { output: null, problem: outcome.reason };
  if (outcome.code !== 0) {
    // A machine without an NVIDIA GPU but with the tool installed says so and exits non-zero.
    return { output: null, problem: null };
  }
  return { output: outcome.stdout, problem: null };
}

/**
 * This machine's inputs. `nvidiaSmiWaitMs` bounds the wait for nvidia-smi: the host's start passes 0, so that start-up
 * never waits on a GPU tool (what is not known yet is said in the GPU's note, and the board refresh fills it in).
 */
export async function readLiveInputs(
  backend: BackendInfo | null,
  options: { nvidiaSmiWaitMs?: number } = {},
): Promise<ResourceInputs> {
  const smi = await queryNvidiaSmi(options.nvidiaSmiWaitMs);
  return {
    meminfo: fs.readFileSync('/proc/meminfo', 'utf8'),
    cores: os.availableParallelism(),
    nvidiaSmi: smi.output,
    nvidiaSmiProblem: smi.problem,
    tegrastats: null,
    gpuLoad: GPU_LOAD_FILES.map(readIfPresent).find((text) => text !== null) ?? null,
    nvTegraRelease: readIfPresent(NV_TEGRA_RELEASE),
    jetson: false,
    cpuinfo: readIfPresent('/proc/cpuinfo'),
    backend,
    source: 'this machine',
    inventory: thisBoardInventorySoFar(),
    llama: discoverLlama(),
  };
}
