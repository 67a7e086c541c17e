import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm run build:llama-cuda`: the Jetson's CUDA build of llama.cpp as one command. It runs node-llama-cpp's own
 * `source download --gpu cuda` (which builds from the llama.cpp source bundled in the package, offline), with
 * CMAKE_CUDA_ARCHITECTURES=87 (the Orin's GPU; node-llama-cpp issue #560) passed the way node-llama-cpp reads custom
 * CMake options (NODE_LLAMA_CPP_CMAKE_OPTION_<NAME>), and with the CUDA toolkit found where systemd's PATH does not look
 * (/usr/local/cuda/bin). node-llama-cpp records the options in the build's _nlcBuildMetadata.json, where backend
 * discovery reads them back and hands them to getLlama. Here: the plan of that run, as data, and the checks that make
 * it fail at once with a reason instead of half an hour into a build.
 */

export const DEFAULT_CUDA_ARCHITECTURES = '87';
const ARCH_OPTION = 'NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES';

/** What the checks may look at; a test hands in a fake file system. */
export interface ToolchainFs {
  exists(file: string): boolean;
  /** Directory entries, [] when it cannot be read. */
  list(dir: string): string[];
  realpath(file: string): string;
}

export const REAL_FS: ToolchainFs = {
  exists: (file) => fs.existsSync(file),
  list: (dir) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
  realpath: (file) => {
    try {
      return fs.realpathSync(file);
    } catch {
      return file;
    }
  },
};

export interface CudaToolkit {
  nvcc: string;
  home: string;
}

export type Found<T> = { ok: true; value: T } | { ok: false; error: string };

function onPath(name: string, pathVariable: string | undefined, files: ToolchainFs): string[] {
  return (pathVariable ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => path.join(dir, name))
    .filter((file) => files.exists(file));
}

/** What a toolkit at `home` lacks for a llama.cpp CUDA build: its runtime headers and cuBLAS (headers and library). */
function toolkitGaps(home: string, files: ToolchainFs): string[] {
  const includeDirs = [path.join(home, 'include'), ...targets(home, files).map((dir) => path.join(dir, 'include'))];
  const libDirs = [
    path.join(home, 'lib64'),
    path.join(home, 'lib'),
    // Debian's and Ubuntu's own nvidia-cuda-toolkit package lives in /usr.
    path.join(home, 'lib', 'aarch64-linux-gnu'),
    path.join(home, 'lib', 'x86_64-linux-gnu'),
    ...targets(home, files).map((dir) => path.join(dir, 'lib')),
  ];
  const header = (name: string) => includeDirs.some((dir) => files.exists(path.join(dir, name)));
  const gaps: string[] = [];
  if (!header('cuda_runtime.h')) gaps.push('cuda_runtime.h');
  if (!header('cublas_v2.h')) gaps.push('cublas_v2.h');
  if (!libDirs.some((dir) => files.list(dir).some((name) => /^libcublas\.so(\.|$)/.test(name)))) {
    gaps.push('libcublas.so');
  }
  return gaps;
}

/** <home>/targets/<arch>-linux: where the Jetson's (and any cross) CUDA toolkit keeps its headers and libraries. */
function targets(home: string, files: ToolchainFs): string[] {
  return files
    .list(path.join(home, 'targets'))
    .sort()
    .map((name) => path.join(home, 'targets', name));
}

/**
 * The CUDA toolkit to build with: CUDACXX, then $CUDA_PATH/$CUDA_HOME, nvcc on the PATH, /usr/local/cuda, then the
 * newest /usr/local/cuda-<version>. A toolkit without cuBLAS (an nvcc installed alone) does not count.
 */
export function findCudaToolkit(env: NodeJS.ProcessEnv, files: ToolchainFs = REAL_FS): Found<CudaToolkit> {
  const versioned = files
    .list('/usr/local')
    .filter((name) => /^cuda-\d+(\.\d+)*$/.test(name))
    .sort((a, b) => compareDotted(b.slice(5), a.slice(5)))
    .map((name) => `/usr/local/${name}/bin/nvcc`);
  const candidates = [
    env.CUDACXX,
    env.CUDA_PATH && path.join(env.CUDA_PATH, 'bin', 'nvcc'),
    env.CUDA_HOME && path.join(env.CUDA_HOME, 'bin', 'nvcc'),
    ...onPath('nvcc', env.PATH, files),
    '/usr/local/cuda/bin/nvcc',
    ...versioned,
  ].filter((candidate): candidate is string => Boolean(candidate));
  const rejected: string[] = [];
  const homes = new Set<string>();
  for (const nvcc of [...new Set(candidates)]) {
    if (!files.exists(nvcc)) continue;
    // The toolkit is the folder above the real nvcc's bin/ (/usr/local/cuda -> /usr/local/cuda-12.6).
    const home = path.dirname(path.dirname(files.realpath(nvcc)));
    if (homes.has(home)) continue;
    homes.add(home);
    const gaps = toolkitGaps(home, files);
    if (gaps.length === 0) return { ok: true, value: { nvcc, home } };
    rejected.push(`${nvcc} (toolkit ${home} has no ${gaps.join(', ')})`);
  }
  const looked =
    rejected.length > 0 ? `found only ${rejected.join('; ')}` : `no nvcc in ${[...new Set(candidates)].join(', ')}`;
  return {
    ok: false,
    error:
      `no CUDA toolkit found: ${looked}. On a Jetson install JetPack's CUDA toolkit ` +
      '(sudo apt-get install nvidia-jetpack, or cuda-toolkit-<version>), or set CUDACXX to its nvcc',
  };
}

function compareDotted(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The other tools a source build needs; node-llama-cpp would try to download cmake, which needs the network. */
export function missingBuildTools(env: NodeJS.ProcessEnv, files: ToolchainFs = REAL_FS): string[] {
  const missing: string[] = [];
  if (onPath('cmake', env.PATH, files).length === 0) missing.push('cmake');
  if (onPath('c++', env.PATH, files).length === 0 && onPath('g++', env.PATH, files).length === 0) missing.push('g++');
  if (onPath('make', env.PATH, files).length === 0) missing.push('make');
  return missing;
}

/** node-llama-cpp's own llama/CMakeLists.txt asks for 3.19 (ggml-cuda for 3.18); Ubuntu 20.04 (JetPack 5) has 3.16. */
export const MIN_CMAKE = [3, 19];

/** What is wrong with the cmake `cmake --version` describes, or null when it will do. */
export function cmakeProblem(versionOutput: string): string | null {
  const match = /cmake version (\d+)\.(\d+)/.exec(versionOutput);
  if (!match) return `cmake --version said ${JSON.stringify(versionOutput.trim().split('\n')[0] ?? '')}`;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major > MIN_CMAKE[0]! || (major === MIN_CMAKE[0] && minor >= MIN_CMAKE[1]!)) return null;
  return (
    `cmake ${major}.${minor} is too old: the build needs ${MIN_CMAKE.join('.')} or newer (Ubuntu 20.04, JetPack 5, ` +
    'ships 3.16). Install a newer one first on the PATH: pip3 install --user cmake (then ~/.local/bin on the PATH), ' +
    "or Kitware's APT repository"
  );
}

export interface CudaBuildPlan {
  command: string;
  args: string[];
  /** Added to (or replacing in) the environment of the build. */
  env: Record<string, string>;
  architectures: string;
  toolkit: CudaToolkit;
  /** The command as a person would type it. */
  display: string;
}

/**
 * The run: `npx --no node-llama-cpp source download --gpu cuda` with the architectures (the option given, else the
 * environment's NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES or CMake's CUDAARCHS, else 87), CUDACXX and
 * CUDA_PATH set, and the toolkit's bin/ first on the PATH.
 */
export function cudaBuildPlan(
  env: NodeJS.ProcessEnv,
  toolkit: CudaToolkit,
  options: { architectures?: string | undefined } = {},
): CudaBuildPlan {
  const architectures = options.architectures ?? env[ARCH_OPTION] ?? env.CUDAARCHS ?? DEFAULT_CUDA_ARCHITECTURES;
  const added: Record<string, string> = {
    [ARCH_OPTION]: architectures,
    CUDACXX: toolkit.nvcc,
    CUDA_PATH: toolkit.home,
    PATH: [path.join(toolkit.home, 'bin'), env.PATH].filter(Boolean).join(':'),
  };
  const args = ['--no', 'node-llama-cpp', 'source', 'download', '--gpu', 'cuda'];
  return {
    command: 'npx',
    args,
    env: added,
    architectures,
    toolkit,
    display:
      `${ARCH_OPTION}=${architectures} CUDACXX=${toolkit.nvcc} CUDA_PATH=${toolkit.home} ` +
      `PATH=${path.join(toolkit.home, 'bin')}:$PATH npx ${args.join(' ')}`,
  };
}

/** CUDA architectures as CMake takes them: "87", "87;72", "native", "87-real". */
export function validArchitectures(text: string): boolean {
  return /^(native|all|all-major|\d+(-real|-virtual)?(;\d+(-real|-virtual)?)*)$/.test(text);
}
