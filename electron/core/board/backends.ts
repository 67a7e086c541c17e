import path from 'node:path';

import type { LlamaBinary, LlamaDiscovery, LlamaGpu } from '../../../shared/board.js';
import type { LlamaBuildOnDisk } from './llamaBuilds.js';
import { ELF_MACHINES } from './elfVersions.js';
import {
  compareVersions,
  newestOf,
  parseVersion,
  splitVersionName,
  type LibraryResolver,
  type SystemAbi,
} from './systemLibraries.js';

/**
 * The verdict on each llama.cpp binary, from its ELF files against the system (no table of distributions), the one a
 * worker uses and why, and the command that gets what is missing. Pure: the files were read (llamaBuilds.ts) and the
 * system described (systemLibraries.ts, or recorded inputs) before.
 */

export interface LlamaSystem {
  platform: string;
  arch: string;
  abi: SystemAbi;
  /** PRETTY_NAME of its os-release, for people. */
  os: string | null;
  jetson: boolean;
  /** Whether the board has a GPU the plan may use; null where the binaries' libraries decide (this machine). */
  gpu: boolean | null;
  /** Looks a library up as ld.so would; null for a recorded board, whose files are not here. */
  resolve: LibraryResolver | null;
}

/** The runtime families checked, and the system's version of each. */
const FAMILIES: Array<{ family: string; label: string; of: (abi: SystemAbi) => string | null; required: boolean }> = [
  { family: 'GLIBC', label: 'glibc', of: (abi) => abi.glibc, required: true },
  { family: 'GLIBCXX', label: 'GLIBCXX', of: (abi) => abi.glibcxx, required: true },
  // Advances with GLIBCXX in the same libstdc++; checked where the system's file was read.
  { family: 'CXXABI', label: 'CXXABI', of: (abi) => abi.cxxabi, required: false },
];

function asGpu(gpu: string | false | undefined, name: string): LlamaGpu {
  if (gpu === 'cuda' || gpu === 'vulkan' || gpu === 'metal') return gpu;
  if (gpu === false) return false;
  // No metadata: the folder name says it (linux-x64-cuda).
  return /-cuda(-|$)/.test(name) ? 'cuda' : /-vulkan(-|$)/.test(name) ? 'vulkan' : false;
}

function systemVersions(abi: SystemAbi): string {
  return FAMILIES.filter(({ of }) => of(abi) !== null)
    .map(({ label, of }) => `${label} ${of(abi)}`)
    .join(', ');
}

/** Whether one binary folder can be loaded by node-llama-cpp on this system, and why (not). */
export function judgeBuild(build: LlamaBuildOnDisk, system: LlamaSystem): LlamaBinary {
  const gpu = asGpu(build.options?.gpu, build.name);
  const info = build.options?.platformInfo;
  const base = {
    kind: build.kind,
    name: build.name,
    dir: build.dir,
    gpu,
    cmakeOptions: build.options?.customCmakeOptions ?? {},
    builtOn: info?.name ? `${info.name}${info.version ? ` ${info.version}` : ''}` : null,
  };
  const needed = build.files.flatMap((file) => (file.elf.ok ? Object.values(file.elf.info.versionsNeeded).flat() : []));
  const needs = FAMILIES.map(({ family }) => newestOf(needed, family))
    .map((version, index) => (version ? `${FAMILIES[index]!.family}_${version}` : null))
    .filter((name): name is string => name !== null);
  const refuse = (why: string, missing: string[] = []): LlamaBinary => ({ ...base, needs, loads: false, missing, why });

  if (build.problems.length > 0) return refuse(`not usable: ${build.problems.join('; ')}`);
  if (build.kind === 'local' && build.lookupName !== null && build.lookupName !== build.name) {
    return refuse(
      `getLlama would look for ${build.lookupName} with these options (the environment's CMake options or the ` +
        `llama.cpp source changed since it was built), so it would not be found`,
    );
  }
  const broken = build.files.find((file) => !file.elf.ok);
  if (broken && !broken.elf.ok) return refuse(`unreadable: ${broken.elf.error}`);
  if (build.files.length === 0) return refuse('no library files in its folder');
  const foreign = build.files.find(
    (file) =>
      file.elf.ok &&
      ELF_MACHINES[file.elf.info.machine] !== undefined &&
      ELF_MACHINES[file.elf.info.machine] !== system.arch,
  );
  if (foreign && foreign.elf.ok) {
    return refuse(
      `${path.basename(foreign.file)} is built for ${ELF_MACHINES[foreign.elf.info.machine]}, not ${system.arch}`,
    );
  }

  const missing: string[] = [];
  const unknown: string[] = [];
  for (const { family, label, of, required } of FAMILIES) {
    const have = of(system.abi);
    const wanted = [...new Set(needed)].filter((name) => splitVersionName(name)?.[0] === family);
    if (wanted.length === 0) continue;
    const haveVersion = have === null ? null : parseVersion(have);
    if (haveVersion === null) {
      if (required) unknown.push(label);
      continue;
    }
    missing.push(
      ...wanted
        .filter((name) => compareVersions(splitVersionName(name)![1], haveVersion) > 0)
        .sort((a, b) => compareVersions(splitVersionName(a)![1], splitVersionName(b)![1])),
    );
  }
  const libraries = system.resolve ? missingLibraries(build, system.resolve) : [];
  const unlooked = system.resolve ? [] : outsideLibraries(build);
  if (missing.length > 0 || libraries.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`needs ${missing.join(', ')}; this system has ${systemVersions(system.abi)}`);
    if (libraries.length > 0) parts.push(`needs ${libraries.join(', ')}, not found on this system`);
    return refuse(parts.join('; '), [...missing, ...libraries]);
  }
  if (unknown.length > 0 || unlooked.length > 0) {
    const notKnown = [
      unknown.length > 0 && `this system's ${unknown.join(' and ')} ${unknown.length > 1 ? 'are' : 'is'} not known`,
      unlooked.length > 0 && `${unlooked.join(', ')} not looked up (a recorded board)`,
    ].filter(Boolean);
    return { ...base, needs, loads: null, missing: [], why: `needs ${needs.join(', ')}; ${notKnown.join('; ')}` };
  }
  const checked = system.resolve ? '' : ' (its libraries not looked up: a recorded board)';
  return {
    ...base,
    needs,
    loads: true,
    missing: [],
    why: `loads: needs ${needs.join(', ') || 'no versioned symbols'}; this system has ${systemVersions(system.abi)}${checked}`,
  };
}

/** Libraries a file names that ld.so would not find (those of the folder itself are found through $ORIGIN). */
function missingLibraries(build: LlamaBuildOnDisk, resolve: LibraryResolver): string[] {
  const missing = new Set<string>();
  for (const file of build.files) {
    if (!file.elf.ok) continue;
    for (const name of file.elf.info.needed) {
      if (resolve(name, file.elf.info.runpath, path.dirname(file.file)) === null) missing.add(name);
    }
  }
  return [...missing].sort();
}

/** The C and C++ runtime every Linux system has; anything else a recorded board may lack (libcuda.so.1). */
const BASE_LIBRARIES =
  /^(libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|ld-linux[-\w]*\.so\.\d)$/;

/** Libraries a build needs from outside its folder and beyond the base runtime: not known for a recorded board. */
function outsideLibraries(build: LlamaBuildOnDisk): string[] {
  const own = new Set(build.files.map((file) => path.basename(file.file)));
  const outside = new Set<string>();
  for (const file of build.files) {
    if (!file.elf.ok) continue;
    for (const name of file.elf.info.needed) if (!own.has(name) && !BASE_LIBRARIES.test(name)) outside.add(name);
  }
  return [...outside].sort();
}

export interface Ranked {
  binary: LlamaBinary;
  build: LlamaBuildOnDisk;
}

export function judgeAll(builds: readonly LlamaBuildOnDisk[], system: LlamaSystem): Ranked[] {
  return builds.map((build) => ({ build, binary: judgeBuild(build, system) }));
}

/**
 * The binary a worker should load, among those that load (or may: not known): a GPU build first when the plan has GPU
 * layers and a CPU build first when it has none (a CPU-only plan should not start a GPU backend), then one known to
 * load, local builds before prebuilt ones (the operator made them for this board), node-llama-cpp's last CLI build
 * first, then the newest.
 */
export function chooseBinary(ranked: readonly Ranked[], wantGpu: boolean): Ranked | null {
  const order = (gpu: LlamaGpu) => (gpu === 'cuda' ? 0 : gpu === 'vulkan' ? 1 : gpu === false ? 3 : 2);
  const candidates = ranked.filter(({ binary }) => binary.loads !== false);
  const key = ({ binary, build }: Ranked): number[] => [
    wantGpu ? order(binary.gpu) : binary.gpu === false ? 0 : 1 + order(binary.gpu),
    binary.loads === true ? 0 : 1,
    binary.kind === 'local' ? 0 : 1,
    build.lastBuild ? 0 : 1,
    -(build.builtAtMs ?? 0),
  ];
  return [...candidates].sort((a, b) => compareVersions(key(a), key(b)))[0] ?? null;
}

/**
 * A packaged app (the AppImage, read-only; the tar.gz) cannot build llama.cpp into itself, and has no npm: the build
 * is made in a checkout on the board, and `npm run dist` there packages an app that ships it.
 */
const FROM_A_CHECKOUT =
  'This packaged app cannot build into itself: in a checkout of brain-in-jar on this board, run `npm ci`, then ';
const REPACKAGE = ', then `npm run dist`: the AppImage it makes ships that build; check it with its `doctor` command.';

/** The exact command that gets the missing binary, or null. `packaged`: this process runs from a packaged app. */
export function adviceFor(
  candidates: readonly LlamaBinary[],
  using: LlamaBinary | null,
  system: LlamaSystem,
  packaged = false,
): string | null {
  if (system.jetson && using?.gpu !== 'cuda') {
    const cpu =
      using === null ? ' Until then no instance can load: no llama.cpp binary here loads on this system.' : '';
    const build =
      'npm run build:llama-cuda (it runs ' +
      'NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES=87 npx --no node-llama-cpp source download --gpu cuda ' +
      'with /usr/local/cuda/bin/nvcc)';
    return packaged
      ? `Build llama.cpp with CUDA on this board. ${FROM_A_CHECKOUT}${build}${REPACKAGE}${cpu}`
      : `Build llama.cpp with CUDA on this board: ${build}, then check with \`brain-in-jar doctor\`.${cpu}`;
  }
  if (using === null) {
    const build = '`npx --no node-llama-cpp source download` (add --gpu cuda for an NVIDIA GPU)';
    return packaged
      ? `No llama.cpp binary here loads on this system. ${FROM_A_CHECKOUT}${build}${REPACKAGE}`
      : `No llama.cpp binary here loads on this system: build one from the bundled source with ${build}, then check with \`brain-in-jar doctor\`.`;
  }
  const cuda = candidates.find((binary) => binary.gpu === 'cuda' && binary.loads === false);
  const driver = system.resolve?.('libcuda.so.1', [], '/') ?? null;
  if (using.gpu === false && cuda && driver) {
    return (
      `The NVIDIA driver is here but the CUDA build cannot load (${cuda.why}): install the CUDA runtime it names, ` +
      'or build against the CUDA toolkit here: npx --no node-llama-cpp source download --gpu cuda'
    );
  }
  return null;
}

export function discoverFrom(
  builds: readonly LlamaBuildOnDisk[],
  system: LlamaSystem,
  problem: string | null = null,
  packaged = false,
): LlamaDiscovery {
  const ranked = judgeAll(builds, system);
  const chosen = chooseBinary(ranked, system.gpu !== false);
  const candidates = ranked.map(({ binary }) => binary);
  let using: LlamaDiscovery['using'] = null;
  if (chosen) {
    const { binary } = chosen;
    const gpuBuilds = candidates.filter((candidate) => candidate.gpu !== false);
    let why = binary.loads === null ? `may load (not known): ${binary.why}` : binary.why;
    if (binary.gpu === false) {
      why +=
        gpuBuilds.length === 0
          ? `; there is no GPU build of llama.cpp for ${system.platform}-${system.arch} here`
          : `; no GPU build loads: ${gpuBuilds.map((candidate) => `${candidate.name}: ${candidate.why}`).join('; ')}`;
    }
    using = { name: binary.name, kind: binary.kind, gpu: binary.gpu, cmakeOptions: binary.cmakeOptions, why };
  }
  const advice = adviceFor(candidates, chosen?.binary ?? null, system, packaged);
  return {
    platform: `${system.platform}-${system.arch}`,
    system: {
      glibc: system.abi.glibc,
      glibcxx: system.abi.glibcxx,
      os: system.os,
      source: problem ? `${system.abi.source}; ${problem}` : system.abi.source,
    },
    candidates,
    using,
    advice,
  };
}
