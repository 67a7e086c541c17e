import fs from 'node:fs';

import type { LlamaDiscovery, LlamaGpu } from '../../../shared/board.js';
import { isPackagedPath } from '../asarPath.js';
import { chooseBinary, discoverFrom, judgeAll, type LlamaSystem } from './backends.js';
import { NV_TEGRA_RELEASE } from './jetson.js';
import { findLlamaBuilds, type FindOptions } from './llamaBuilds.js';
import { parseOsRelease, readOsRelease } from './osRelease.js';
import { libraryResolver, thisSystemAbi } from './systemLibraries.js';

/**
 * Backend discovery, the I/O around backends.ts: this machine (its files, its glibc and libstdc++, its loader's search
 * path) or a recorded board (`doctor --glibc 2.31 --glibcxx 3.4.28 --os-release FILE --nv-tegra-release FILE`), judged
 * against the llama.cpp binaries installed here. The host, doctor, the backend probe and each worker all ask here, so
 * they agree on which binary is used.
 */

/** What a recording says of a board's runtimes; what it does not say stays unknown. */
export interface RecordedLlamaSystem {
  glibc?: string | undefined;
  glibcxx?: string | undefined;
  /** The text of its /etc/os-release. */
  osRelease?: string | null | undefined;
  jetson: boolean;
  /** Whether the recorded board has a GPU (its recordings show one). */
  gpu?: boolean | undefined;
}

export interface DiscoveryOptions {
  /** A recorded board instead of this machine. */
  recorded?: RecordedLlamaSystem | null;
  /** Local builds from here instead of node-llama-cpp's llama/localBuilds (`--llama-builds DIR`). */
  localBuildsDir?: string | undefined;
  /** node-llama-cpp's package folder (default: where this process imports it from). */
  nodeLlamaCppDir?: string | null;
  env?: NodeJS.ProcessEnv;
}

export function thisLlamaSystem(env: NodeJS.ProcessEnv = process.env): LlamaSystem {
  const resolve = libraryResolver(process.arch, env);
  return {
    platform: 'linux',
    arch: process.arch,
    abi: thisSystemAbi(process.arch, resolve),
    os: readOsRelease()?.prettyName ?? null,
    jetson: fs.existsSync(NV_TEGRA_RELEASE),
    gpu: null,
    resolve,
  };
}

export function recordedLlamaSystem(recorded: RecordedLlamaSystem): LlamaSystem {
  const given = [
    recorded.glibc && `--glibc ${recorded.glibc}`,
    recorded.glibcxx && `--glibcxx ${recorded.glibcxx}`,
    recorded.osRelease != null && '--os-release',
  ].filter(Boolean);
  const missing = [!recorded.glibc && '--glibc (`ldd --version`)', !recorded.glibcxx && '--glibcxx'].filter(Boolean);
  return {
    platform: 'linux',
    // A Jetson is arm64; any other recorded board is judged as this machine's architecture.
    arch: recorded.jetson ? 'arm64' : process.arch,
    abi: {
      glibc: recorded.glibc ?? null,
      glibcxx: recorded.glibcxx ?? null,
      cxxabi: null,
      source:
        `recorded (${given.join(', ') || 'no runtime versions'})` +
        (missing.length > 0 ? `; give ${missing.join(' and ')} to judge its binaries` : ''),
    },
    os: recorded.osRelease ? parseOsRelease(recorded.osRelease).prettyName : null,
    jetson: recorded.jetson,
    gpu: recorded.gpu ?? recorded.jetson,
    resolve: null,
  };
}

function findOptions(system: LlamaSystem, options: DiscoveryOptions): FindOptions {
  return {
    platform: system.platform,
    arch: system.arch,
    ...(options.localBuildsDir !== undefined ? { localBuildsDir: options.localBuildsDir } : {}),
    ...(options.nodeLlamaCppDir !== undefined ? { nodeLlamaCppDir: options.nodeLlamaCppDir } : {}),
    // A recorded board's environment is not this one's.
    env: options.recorded ? {} : (options.env ?? process.env),
  };
}

function systemOf(options: DiscoveryOptions): LlamaSystem {
  return options.recorded ? recordedLlamaSystem(options.recorded) : thisLlamaSystem(options.env);
}

/** Which binaries exist, which load, which the workers use, and what to run for what is missing. */
export function discoverLlama(options: DiscoveryOptions = {}): LlamaDiscovery {
  if (!options.recorded && process.platform !== 'linux') {
    return {
      platform: `${process.platform}-${process.arch}`,
      system: { glibc: null, glibcxx: null, os: null, source: 'not Linux: node-llama-cpp decides by itself' },
      candidates: [],
      using: null,
      advice: null,
    };
  }
  const system = systemOf(options);
  const install = findLlamaBuilds(findOptions(system, options));
  const packaged = install.nodeLlamaCppDir !== null && isPackagedPath(install.nodeLlamaCppDir);
  return discoverFrom(install.builds, system, install.problem, packaged);
}

/** The getLlama options that load the chosen binary. */
export interface LlamaLoadOptions {
  gpu: LlamaGpu | 'auto';
  cmakeOptions?: Record<string, string>;
  /** The binary these options load, for the log; null when discovery found none that loads (node-llama-cpp decides). */
  binary: string | null;
}

/**
 * What a worker passes to getLlama: the chosen binary's gpu and custom CMake options, which make node-llama-cpp look in
 * exactly that binary's localBuilds folder (its name is derived from them). `wantGpu` is whether the plan puts layers on
 * the GPU. Where nothing is known to load, node-llama-cpp is left to try ('auto', or false for a CPU-only plan).
 */
export function llamaLoadOptions(wantGpu: boolean, options: DiscoveryOptions = {}): LlamaLoadOptions {
  if (process.platform !== 'linux' && !options.recorded) return { gpu: wantGpu ? 'auto' : false, binary: null };
  const system = systemOf(options);
  const install = findLlamaBuilds(findOptions(system, options));
  const chosen = chooseBinary(judgeAll(install.builds, system), wantGpu);
  if (!chosen) return { gpu: wantGpu ? 'auto' : false, binary: null };
  const { binary } = chosen;
  return {
    gpu: binary.gpu,
    ...(Object.keys(binary.cmakeOptions).length > 0 ? { cmakeOptions: binary.cmakeOptions } : {}),
    binary: `${binary.kind} ${binary.name}`,
  };
}
