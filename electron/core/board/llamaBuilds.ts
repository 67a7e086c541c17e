import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { unpackedPath } from '../asarPath.js';
import { readElfFile, type ElfResult } from './elfVersions.js';

/**
 * The llama.cpp binaries node-llama-cpp 3.21.1 can load, found where it looks for them:
 * - prebuilt: node_modules/@node-llama-cpp/<platform>-<arch>[-cuda|-vulkan]/bins/<folder>/ (and node-llama-cpp/bins/),
 *   used only when the package's version is node-llama-cpp's own;
 * - local builds: node-llama-cpp/llama/localBuilds/<folder>/Release/, made by `node-llama-cpp source download|build`,
 *   complete only with Release/llama-addon.node, Release/_nlcBuildMetadata.json and <folder>/buildDone.status.
 * Each folder's _nlcBuildMetadata.json holds the build's options ({buildOptions: {gpu, customCmakeOptions, ...}}).
 * getLlama finds a local build only under the folder name it derives from the options it is called with (a custom CMake
 * option adds a hash of all of them), so that name is derived here too and compared with the folder's.
 */

/** The `buildOptions` of node-llama-cpp's _nlcBuildMetadata.json, the parts read here. */
export interface BuildOptionsRecord {
  platform: string;
  arch: string;
  gpu: string | false;
  customCmakeOptions: Record<string, string>;
  platformInfo?: { name: string; version: string };
  llamaCpp?: { repo: string; release: string };
}

export interface LlamaBuildFile {
  file: string;
  elf: ElfResult;
}

export interface LlamaBuildOnDisk {
  kind: 'prebuilt' | 'local';
  /** The folder's name: "linux-arm64", "linux-arm64-cuda-<hash>". */
  name: string;
  /** The folder holding llama-addon.node. */
  dir: string;
  options: BuildOptionsRecord | null;
  /** Why node-llama-cpp would not use it whatever the system (an unfinished build, a package of another version). */
  problems: string[];
  files: LlamaBuildFile[];
  /** A local build: the folder name getLlama looks for when given this build's gpu and CMake options. */
  lookupName: string | null;
  /** node-llama-cpp's llama/lastBuild.json names it (the last build made with its CLI). */
  lastBuild: boolean;
  builtAtMs: number | null;
}

export interface LlamaReleaseRef {
  repo: string;
  release: string;
}

export interface LlamaInstall {
  nodeLlamaCppDir: string | null;
  version: string | null;
  localBuildsDir: string | null;
  builds: LlamaBuildOnDisk[];
  /** The llama.cpp release getLlama names folders after: the cloned source's, else the bundled one. */
  release: LlamaReleaseRef | null;
  problem: string | null;
}

export const METADATA_FILE = '_nlcBuildMetadata.json';
/** node-llama-cpp's own llama.cpp repository; a build from another one has it in its folder name. */
const BUILTIN_REPO = 'ggml-org/llama.cpp';
const CMAKE_OPTION_ENV_PREFIX = 'NODE_LLAMA_CPP_CMAKE_OPTION_';
/** Environment variables node-llama-cpp adds to the CMake options of any getLlama call (and so to the folder name). */
const ENV_FLAG_OPTIONS = ['GGML_METAL', 'GGML_METAL_EMBED_LIBRARY', 'GGML_CUDA', 'GGML_VULKAN', 'GGML_OPENBLAS'];
const ENV_VALUE_OPTIONS = [
  'GGML_BLAS_VENDOR',
  'GGML_CUDA_FORCE_DMMV',
  'GGML_CUDA_DMMV_X',
  'GGML_CUDA_MMV_Y',
  'GGML_CUDA_F16',
  'GGML_CUDA_KQUANTS_ITER',
  'GGML_CUDA_PEER_MAX_BATCH_SIZE',
];

/** The CMake options the environment adds to every getLlama call and every CLI build. */
export function envCmakeOptions(env: NodeJS.ProcessEnv): Record<string, string> {
  const options: Record<string, string> = {};
  for (const key of ENV_FLAG_OPTIONS) if (env[key] === '1') options[key] = '1';
  for (const key of ENV_VALUE_OPTIONS) if (env[key] !== undefined) options[key] = env[key]!;
  if (env.GGML_HIPBLAS === '1') options.GGML_HIPBLAS = '1';
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(CMAKE_OPTION_ENV_PREFIX) && key !== CMAKE_OPTION_ENV_PREFIX && value !== undefined) {
      options[key.slice(CMAKE_OPTION_ENV_PREFIX.length)] = value;
    }
  }
  return options;
}

const SAFE = /^[A-Za-z0-9._-]*$/;

/** Characters outside [A-Za-z0-9._-] become _<code point in base 32>_, as in node-llama-cpp's folder names. */
function safeForPath(text: string): string {
  return [...text].map((char) => (SAFE.test(char) ? char : `_${char.codePointAt(0)!.toString(32)}_`)).join('');
}

/** SHA-1, each byte written in base 36 and the lot concatenated: node-llama-cpp's short hash for folder names. */
function base36Sha1(text: string): string {
  return [...createHash('sha1').update(text).digest()].map((byte) => byte.toString(36)).join('');
}

/**
 * The folder name getLlama (and `source download`) gives a build of these options: platform-arch[-gpu]
 * [-release-<repo and tag>][-<hash of the sorted custom CMake options>]. `builtin` is node-llama-cpp's bundled release.
 */
export function buildFolderName(options: BuildOptionsRecord, builtin: LlamaReleaseRef): string {
  const parts = [options.platform, options.arch];
  if (options.gpu !== false) parts.push(safeForPath(options.gpu));
  const llamaCpp = options.llamaCpp ?? builtin;
  if (llamaCpp.repo !== builtin.repo || llamaCpp.release !== builtin.release) {
    const release: string[] = [];
    let hashed = false;
    if (llamaCpp.repo !== builtin.repo) {
      const [owner = '', name = ''] = llamaCpp.repo.split('/');
      hashed ||= !SAFE.test(owner) || !SAFE.test(name);
      release.push(hashed ? `${encodeURIComponent(owner)} ${encodeURIComponent(name)}` : `${owner} ${name}`);
    }
    if (!SAFE.test(llamaCpp.release)) hashed = true;
    release.push(SAFE.test(llamaCpp.release) ? llamaCpp.release : encodeURIComponent(llamaCpp.release));
    parts.push(`release-${hashed ? base36Sha1(release.join(' ')) : release.join(' ')}`);
  }
  const pairs = Object.keys(options.customCmakeOptions)
    .filter((key) => key !== '')
    .sort()
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(options.customCmakeOptions[key]!)}`);
  if (pairs.length > 0) parts.push(base36Sha1(pairs.join(';')));
  return parts.join('-');
}

/** node-llama-cpp's package folder, where this process would import it from; null when it is not installed. */
export function nodeLlamaCppDir(): string | null {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve('node-llama-cpp'));
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      const manifest = readJson(path.join(dir, 'package.json')) as { name?: string } | null;
      if (manifest?.name === 'node-llama-cpp') return dir;
    }
  } catch {
    // not installed
  }
  return null;
}

/**
 * Inside an Electron app the binaries lie beside the archive (asarUnpack): read them there when they are, else
 * through Electron's asar support.
 */
function unpacked(file: string): string {
  const outside = unpackedPath(file);
  return outside !== file && fs.existsSync(outside) ? outside : file;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

function listDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || entry.isSymbolicLink())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

const LIBRARY = /\.(node|so(\.\d+)*)$/;

/** The shared libraries of a build folder, each once (libllama.so and the file it links to are one). */
function libraryFiles(dir: string): LlamaBuildFile[] {
  const seen = new Set<string>();
  const files: LlamaBuildFile[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  for (const name of names.filter((candidate) => LIBRARY.test(candidate))) {
    const file = path.join(dir, name);
    let real: string;
    try {
      real = fs.realpathSync(file);
      if (!fs.statSync(real).isFile()) continue;
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    files.push({ file, elf: readElfFile(file) });
  }
  return files;
}

function metadataOf(dir: string): { options: BuildOptionsRecord | null; problem: string | null } {
  const file = path.join(dir, METADATA_FILE);
  if (!fs.existsSync(file)) return { options: null, problem: `no ${METADATA_FILE}` };
  const parsed = readJson(file) as { buildOptions?: Partial<BuildOptionsRecord> } | null;
  const options = parsed?.buildOptions;
  if (!options || typeof options.platform !== 'string' || typeof options.arch !== 'string') {
    return { options: null, problem: `${METADATA_FILE} is not node-llama-cpp's build metadata` };
  }
  return {
    options: {
      platform: options.platform,
      arch: options.arch,
      gpu: typeof options.gpu === 'string' ? options.gpu : false,
      customCmakeOptions: Object.fromEntries(
        Object.entries(options.customCmakeOptions ?? {}).map(([key, value]) => [key, String(value)]),
      ),
      ...(options.platformInfo ? { platformInfo: options.platformInfo } : {}),
      ...(options.llamaCpp ? { llamaCpp: options.llamaCpp } : {}),
    },
    problem: null,
  };
}

export interface FindOptions {
  platform: string;
  arch: string;
  /** node-llama-cpp's package folder (default: where this process imports it from). */
  nodeLlamaCppDir?: string | null;
  /** Look for local builds here instead of node-llama-cpp/llama/localBuilds (a copy from another board, a test). */
  localBuildsDir?: string;
  env?: NodeJS.ProcessEnv;
}

function releaseOf(nlc: string): { builtin: LlamaReleaseRef; runtime: LlamaReleaseRef } | null {
  const bundled = readJson(unpacked(path.join(nlc, 'llama', 'binariesGithubRelease.json'))) as {
    release?: string;
  } | null;
  if (!bundled?.release) return null;
  const builtin = { repo: BUILTIN_REPO, release: bundled.release };
  const llama = unpacked(path.join(nlc, 'llama'));
  const cloned = readJson(path.join(llama, 'llama.cpp.info.json')) as {
    tag?: string;
    llamaCppGithubRepo?: string;
  } | null;
  const runtime =
    cloned?.tag && cloned.llamaCppGithubRepo && fs.existsSync(path.join(llama, 'llama.cpp', '.git'))
      ? { repo: cloned.llamaCppGithubRepo, release: cloned.tag }
      : builtin;
  return { builtin, runtime };
}

/** Every llama.cpp binary folder for this platform and arch, with its ELF files read. */
export function findLlamaBuilds(options: FindOptions): LlamaInstall {
  const nlc = options.nodeLlamaCppDir === undefined ? nodeLlamaCppDir() : options.nodeLlamaCppDir;
  const env = options.env ?? process.env;
  const localBuildsDir =
    options.localBuildsDir ?? (nlc ? unpacked(path.join(nlc, 'llama', 'localBuilds')) : null) ?? null;
  if (!nlc) {
    return {
      nodeLlamaCppDir: null,
      version: null,
      localBuildsDir,
      builds: [],
      release: null,
      problem: 'node-llama-cpp is not installed',
    };
  }
  const version = (readJson(path.join(nlc, 'package.json')) as { version?: string } | null)?.version ?? null;
  const releases = releaseOf(nlc);
  const forHere = (record: BuildOptionsRecord | null, name: string) =>
    record
      ? record.platform === options.platform && record.arch === options.arch
      : name === `${options.platform}-${options.arch}` || name.startsWith(`${options.platform}-${options.arch}-`);
  const builds: LlamaBuildOnDisk[] = [];

  const packages = unpacked(path.join(nlc, '..', '@node-llama-cpp'));
  const prebuiltDirs = [
    ...listDirs(packages).flatMap((pkg) =>
      listDirs(path.join(packages, pkg, 'bins')).map((name) => ({
        pkg,
        name,
        dir: path.join(packages, pkg, 'bins', name),
      })),
    ),
    ...listDirs(unpacked(path.join(nlc, 'bins'))).map((name) => ({
      pkg: null,
      name,
      dir: path.join(unpacked(path.join(nlc, 'bins')), name),
    })),
  ];
  for (const { pkg, name, dir } of prebuiltDirs) {
    // An -ext package only adds fallback libraries to its main package's folder.
    if (!fs.existsSync(path.join(dir, 'llama-addon.node'))) continue;
    const metadata = metadataOf(dir);
    if (!forHere(metadata.options, name)) continue;
    const problems = metadata.problem ? [metadata.problem] : [];
    if (pkg) {
      const pkgVersion = (readJson(path.join(packages, pkg, 'package.json')) as { version?: string } | null)?.version;
      if (version && pkgVersion !== version) {
        problems.push(`@node-llama-cpp/${pkg} is version ${pkgVersion ?? 'unknown'}, node-llama-cpp is ${version}`);
      }
    }
    builds.push({
      kind: 'prebuilt',
      name,
      dir,
      options: metadata.options,
      problems,
      files: libraryFiles(dir),
      lookupName: null,
      lastBuild: false,
      builtAtMs: null,
    });
  }

  const lastBuild = (
    readJson(path.join(unpacked(path.join(nlc, 'llama')), 'lastBuild.json')) as {
      folderName?: string;
    } | null
  )?.folderName;
  for (const name of localBuildsDir ? listDirs(localBuildsDir) : []) {
    const folder = path.join(localBuildsDir!, name);
    const dir = path.join(folder, 'Release');
    const metadata = metadataOf(dir);
    if (!forHere(metadata.options, name)) continue;
    const problems = metadata.problem ? [metadata.problem] : [];
    if (!fs.existsSync(path.join(dir, 'llama-addon.node'))) problems.push('no Release/llama-addon.node');
    const done = path.join(folder, 'buildDone.status');
    let builtAtMs: number | null = null;
    try {
      builtAtMs = fs.statSync(done).mtimeMs;
    } catch {
      problems.push('no buildDone.status: the build did not finish');
    }
    const lookupName =
      metadata.options && releases
        ? buildFolderName(
            {
              ...metadata.options,
              customCmakeOptions: { ...metadata.options.customCmakeOptions, ...envCmakeOptions(env) },
              llamaCpp: releases.runtime,
            },
            releases.builtin,
          )
        : null;
    builds.push({
      kind: 'local',
      name,
      dir,
      options: metadata.options,
      problems,
      files: libraryFiles(dir),
      lookupName,
      lastBuild: lastBuild === name,
      builtAtMs,
    });
  }
  return {
    nodeLlamaCppDir: nlc,
    version,
    localBuildsDir,
    builds,
    release: releases?.runtime ?? null,
    problem: null,
  };
}
