import fs from 'node:fs';
import os from 'node:os';

import { GIB, type BoardResources } from '../../../shared/board.js';
import { ROLES, type Role } from '../../../shared/instances.js';
import type { PlanOutcome } from '../../../shared/plan.js';
import type { Settings } from '../../../shared/settings.js';
import { probeBackend } from '../board/backendProbe.js';
import { discoverLlama } from '../board/llamaDiscovery.js';
import { readLiveInputs, resourcesFrom } from '../board/resources.js';
import { validateModel } from '../gguf/validateModel.js';
import { defaultRamLimitBytes, defaultReserveBytes } from './budget.js';
import { modelProfile, type ModelProfile } from './modelProfile.js';
import { makePlan } from './planner.js';

/**
 * The I/O around the pure planner: the board (this machine's or recorded), the models' headers, and the settings,
 * turned into a plan request. Shared by the host and the `plan`/`doctor` commands so both plan the same way.
 */

/** Recorded files that stand in for this machine's (doctor, plan and service reproduce another board with them). */
export interface RecordedInputs {
  meminfo: string | undefined;
  nvidiaSmi: string | undefined;
  tegrastats: string | undefined;
  gpuLoadFile: string | undefined;
  nvTegraRelease: string | undefined;
  /** Told it is a Jetson without a release file. */
  jetson: boolean;
  /** A recorded /proc/cpuinfo (or lscpu output): what llama.cpp repacks depends on the CPU's features. */
  cpuinfo?: string | undefined;
  /** The board's /etc/os-release, glibc and libstdc++ GLIBCXX: its llama.cpp binaries are judged with them. */
  osRelease?: string | undefined;
  glibc?: string | undefined;
  glibcxx?: string | undefined;
}

/** The board from recordings, else from this machine (with the backend probe); `cores` overrides the count. */
export async function resourcesFor(
  recorded: RecordedInputs | null,
  options: { cores?: number | undefined; probe?: boolean; llamaBuilds?: string | undefined } = {},
): Promise<BoardResources> {
  if (!recorded) {
    const inputs = await readLiveInputs((options.probe ?? true) ? await probeBackend() : null);
    const llama = options.llamaBuilds ? { llama: discoverLlama({ localBuildsDir: options.llamaBuilds }) } : {};
    return resourcesFrom({ ...inputs, cores: options.cores ?? inputs.cores, ...llama });
  }
  const read = (file: string | undefined) => (file ? fs.readFileSync(file, 'utf8') : null);
  const given = [
    recorded.meminfo,
    recorded.nvidiaSmi,
    recorded.tegrastats,
    recorded.gpuLoadFile,
    recorded.nvTegraRelease,
    recorded.cpuinfo,
    recorded.osRelease,
  ].filter(Boolean);
  const resources = resourcesFrom({
    // Recorded boards without a meminfo (a tegrastats log) take their RAM from the recording, not from here.
    meminfo: recorded.meminfo
      ? read(recorded.meminfo)
      : recorded.tegrastats
        ? null
        : fs.readFileSync('/proc/meminfo', 'utf8'),
    cores: options.cores ?? os.availableParallelism(),
    nvidiaSmi: read(recorded.nvidiaSmi),
    tegrastats: read(recorded.tegrastats),
    gpuLoad: read(recorded.gpuLoadFile),
    nvTegraRelease: read(recorded.nvTegraRelease),
    jetson: recorded.jetson,
    cpuinfo: read(recorded.cpuinfo),
    backend: null,
    source: `recorded: ${given.join(', ') || (recorded.jetson ? '--jetson' : '--glibc')}`,
  });
  const llama = discoverLlama({
    recorded: {
      glibc: recorded.glibc,
      glibcxx: recorded.glibcxx,
      osRelease: read(recorded.osRelease),
      jetson: resources.gpu.kind === 'jetson',
      gpu: resources.gpu.kind !== 'none',
    },
    localBuildsDir: options.llamaBuilds,
  });
  return { ...resources, llama };
}

export function rolesOf(mode: Settings['mode']): Role[] {
  return mode === 'matrix' ? [...ROLES] : ['SUBJECT'];
}

export function ramLimitBytes(role: Role, settings: Settings, resources: BoardResources): number {
  const gb = settings.ramLimitsGb[role];
  return gb === undefined ? defaultRamLimitBytes(role, resources.ramTotalBytes) : gb * GIB;
}

export function reserveBytes(settings: Settings, resources: BoardResources): number {
  return settings.reserveGb === null ? defaultReserveBytes(resources.ramTotalBytes) : settings.reserveGb * GIB;
}

export type ProfileResult = { ok: true; profile: ModelProfile } | { ok: false; message: string };

/**
 * Profiles read, by path, with the identity of the file they were read from. Every settings change plans twice, and
 * reading a header with its vocabulary costs a millisecond or more: 300 changes in a burst were 300 of them on the
 * event loop. A file replaced, grown or touched has another identity and is read again; an instance validates its
 * file again before every start all the same.
 */
const profiles = new Map<string, { identity: string; result: ProfileResult }>();
const PROFILES_KEPT = 16;

export function loadProfile(file: string): ProfileResult {
  const identity = fileIdentity(file);
  const cached = profiles.get(file);
  if (identity !== null && cached?.identity === identity) return cached.result;
  const validation = validateModel(file);
  const result: ProfileResult = validation.ok
    ? { ok: true, profile: modelProfile(file, validation.header) }
    : { ok: false, message: validation.message };
  profiles.delete(file);
  if (identity !== null) profiles.set(file, { identity, result });
  if (profiles.size > PROFILES_KEPT) profiles.delete(profiles.keys().next().value!);
  return result;
}

/** Device, inode, size and change times: what tells one version of a file from another. Null when it is missing. */
function fileIdentity(file: string): string | null {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch {
    return null;
  }
}

/** The plan of every role of the mode: their models checked, their settings applied. */
export function planForSettings(options: {
  settings: Settings;
  resources: BoardResources;
  /** The model file of each role (the demo model where none is set). */
  modelOf: (role: Role) => string;
  ownUse?: { gpuBytes: number; ramBytes: number };
  /** GPU layers an instance may use at most (after a GPU-threshold kill). */
  layerCaps?: Partial<Record<Role, number>>;
}): PlanOutcome {
  const { settings, resources } = options;
  const roles = rolesOf(settings.mode);
  const profiles: ModelProfile[] = [];
  for (const role of roles) {
    const loaded = loadProfile(options.modelOf(role));
    if (!loaded.ok)
      return {
        ok: false,
        resources,
        error: { code: 'MODEL_INVALID', message: `${role}: ${loaded.message}`, field: `models.${role}` },
        // A model that cannot be read has no estimate; every role keeps its limit all the same.
        limits: {
          ramTotalBytes: resources.ramTotalBytes,
          reserveBytes: reserveBytes(settings, resources),
          instances: roles.map((each) => ({
            instance: each,
            ramLimitBytes: ramLimitBytes(each, settings, resources),
            leastBytes: null,
          })),
        },
      };
    profiles.push(loaded.profile);
  }
  return makePlan({
    resources,
    gpuThresholdPercent: settings.gpuThreshold,
    reserveBytes: reserveBytes(settings, resources),
    ...(settings.contextSize !== null ? { contextSize: settings.contextSize } : {}),
    aggressive: settings.aggressive,
    ...(options.ownUse ? { ownUse: options.ownUse } : {}),
    instances: roles.map((role, index) => {
      const manual = settings.manual[role];
      const maxGpuLayers = options.layerCaps?.[role];
      return {
        role,
        model: profiles[index]!,
        ramLimitBytes: ramLimitBytes(role, settings, resources),
        strategy: settings.strategies[role] ?? 'fit',
        ...(manual ? { manual } : {}),
        ...(maxGpuLayers !== undefined ? { maxGpuLayers } : {}),
      };
    }),
  });
}
