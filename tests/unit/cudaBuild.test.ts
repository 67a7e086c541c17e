import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import {
  cmakeProblem,
  cudaBuildPlan,
  findCudaToolkit,
  missingBuildTools,
  validArchitectures,
  type ToolchainFs,
} from '../../electron/core/board/cudaBuild.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A file system of the given files (directories implied) and directory symlinks. */
function fakeFs(files: string[], links: Record<string, string> = {}): ToolchainFs {
  const all = new Set(files);
  const realpath = (file: string) => {
    for (const [from, to] of Object.entries(links)) {
      if (file === from || file.startsWith(`${from}/`)) return to + file.slice(from.length);
    }
    return file;
  };
  return {
    exists: (file) => all.has(realpath(file)),
    list: (dir) => [
      ...new Set(
        files
          .filter((file) => file.startsWith(`${realpath(dir)}/`))
          .map((file) => file.slice(realpath(dir).length + 1).split('/')[0]!),
      ),
    ],
    realpath,
  };
}

/** JetPack 6's CUDA 12.6: /usr/local/cuda -> cuda-12.6, headers and libraries under targets/aarch64-linux. */
const JETPACK_CUDA = [
  '/usr/local/cuda-12.6/bin/nvcc',
  '/usr/local/cuda-12.6/targets/aarch64-linux/include/cuda_runtime.h',
  '/usr/local/cuda-12.6/targets/aarch64-linux/include/cublas_v2.h',
  '/usr/local/cuda-12.6/targets/aarch64-linux/lib/libcublas.so.12',
];
const JETPACK_LINKS = { '/usr/local/cuda': '/usr/local/cuda-12.6' };
/** systemd's PATH: no /usr/local/cuda/bin. */
const SYSTEMD_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

describe('finding the CUDA toolkit', () => {
  it("finds JetPack's nvcc in /usr/local/cuda where systemd's PATH does not look", () => {
    const found = findCudaToolkit(SYSTEMD_ENV, fakeFs(JETPACK_CUDA, JETPACK_LINKS));
    assert.deepEqual(found, { ok: true, value: { nvcc: '/usr/local/cuda/bin/nvcc', home: '/usr/local/cuda-12.6' } });
  });

  it('takes CUDACXX first, and the newest /usr/local/cuda-<version> when there is no /usr/local/cuda', () => {
    const two = [
      ...JETPACK_CUDA,
      '/usr/local/cuda-11.4/bin/nvcc',
      '/usr/local/cuda-11.4/include/cuda_runtime.h',
      '/usr/local/cuda-11.4/include/cublas_v2.h',
      '/usr/local/cuda-11.4/lib64/libcublas.so',
    ];
    const newest = findCudaToolkit(SYSTEMD_ENV, fakeFs(two));
    assert.ok(newest.ok && newest.value.home === '/usr/local/cuda-12.6');
    const chosen = findCudaToolkit({ ...SYSTEMD_ENV, CUDACXX: '/usr/local/cuda-11.4/bin/nvcc' }, fakeFs(two));
    assert.ok(chosen.ok && chosen.value.home === '/usr/local/cuda-11.4');
  });

  it('refuses an nvcc without cuBLAS, and says what it found', () => {
    const lone = findCudaToolkit(
      { PATH: '/usr/bin' },
      fakeFs(['/usr/local/cuda-13.0/bin/nvcc', '/usr/local/cuda-13.0/include/cuda_runtime.h']),
    );
    assert.ok(!lone.ok);
    assert.match(lone.error, /^no CUDA toolkit found: found only \/usr\/local\/cuda-13\.0\/bin\/nvcc/);
    assert.match(lone.error, /has no cublas_v2\.h, libcublas\.so/);
    const none = findCudaToolkit({ PATH: '/usr/bin' }, fakeFs([]));
    assert.ok(!none.ok && /^no CUDA toolkit found: no nvcc in .*\/usr\/local\/cuda\/bin\/nvcc/.test(none.error));
  });

  it("refuses Ubuntu 20.04's cmake 3.16 (node-llama-cpp's CMakeLists wants 3.19), takes 22.04's 3.22", () => {
    assert.match(
      cmakeProblem('cmake version 3.16.3\n\nCMake suite maintained and supported by Kitware (kitware.com/cmake).\n') ??
        '',
      /^cmake 3\.16 is too old: the build needs 3\.19/,
    );
    assert.equal(cmakeProblem('cmake version 3.22.1\n'), null);
    assert.equal(cmakeProblem('cmake version 4.0.2\n'), null);
    assert.match(cmakeProblem('') ?? '', /cmake --version said ""/);
  });

  it('names the build tools that are missing', () => {
    assert.deepEqual(missingBuildTools({ PATH: '/usr/bin' }, fakeFs(['/usr/bin/cmake'])), ['g++', 'make']);
    assert.deepEqual(
      missingBuildTools({ PATH: '/usr/bin' }, fakeFs(['/usr/bin/cmake', '/usr/bin/c++', '/usr/bin/make'])),
      [],
    );
  });
});

describe('the build command', () => {
  const toolkit = { nvcc: '/usr/local/cuda/bin/nvcc', home: '/usr/local/cuda-12.6' };

  it("runs node-llama-cpp's source download for CUDA, sm_87 by default, the toolkit first on the PATH", () => {
    const plan = cudaBuildPlan(SYSTEMD_ENV, toolkit);
    assert.equal(plan.command, 'npx');
    assert.deepEqual(plan.args, ['--no', 'node-llama-cpp', 'source', 'download', '--gpu', 'cuda']);
    assert.deepEqual(plan.env, {
      NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES: '87',
      CUDACXX: '/usr/local/cuda/bin/nvcc',
      CUDA_PATH: '/usr/local/cuda-12.6',
      PATH: `/usr/local/cuda-12.6/bin:${SYSTEMD_ENV.PATH}`,
    });
    assert.match(plan.display, /^NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES=87 CUDACXX=/);
  });

  it("takes the architectures from the option, else the environment (node-llama-cpp's or CMake's)", () => {
    assert.equal(cudaBuildPlan(SYSTEMD_ENV, toolkit, { architectures: '72;87' }).architectures, '72;87');
    assert.equal(
      cudaBuildPlan({ ...SYSTEMD_ENV, NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES: '72' }, toolkit)
        .architectures,
      '72',
    );
    assert.equal(cudaBuildPlan({ ...SYSTEMD_ENV, CUDAARCHS: 'native' }, toolkit).architectures, 'native');
    assert.ok(validArchitectures('87') && validArchitectures('72;87') && validArchitectures('87-real'));
    assert.ok(!validArchitectures('sm_87') && !validArchitectures('87; rm -rf'));
  });

  const buildable = findCudaToolkit(process.env).ok && 'a machine with a CUDA toolkit would start a real build';
  it('npm run build:llama-cuda fails at once here, with the reason', { timeout: 60_000, skip: buildable }, async () => {
    // This machine has an nvcc but no cuBLAS; with no toolkit at all the message is the same kind.
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'scripts/build-llama-cuda.ts')],
        { cwd: root, env: { ...process.env, CUDACXX: '', CUDA_PATH: '', CUDA_HOME: '' }, timeout: 50_000 },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    assert.equal(code, 1);
    assert.match(stderr, /^build:llama-cuda: no CUDA toolkit found: /);
  });
});
