import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { llamaSummary } from '../../shared/board.js';
import { chooseBinary, discoverFrom, judgeAll, type LlamaSystem } from '../../electron/core/board/backends.js';
import { buildFolderName, findLlamaBuilds, type BuildOptionsRecord } from '../../electron/core/board/llamaBuilds.js';
import { discoverLlama, llamaLoadOptions, recordedLlamaSystem } from '../../electron/core/board/llamaDiscovery.js';
import { elfImage } from '../helpers/elfImage.js';
import {
  BUNDLED_RELEASE,
  makeLocalBuild,
  nlcFolderName,
  prebuiltFiles,
  type FakeBuild,
} from '../helpers/localBuilds.js';

const JP5 = { glibc: '2.31', glibcxx: '3.4.28', jetson: true };
const JP6 = { glibc: '2.35', glibcxx: '3.4.30', jetson: true };
const ORIN_ARCH = { CMAKE_CUDA_ARCHITECTURES: '87' };

/** An Orin CUDA build (CMAKE_CUDA_ARCHITECTURES=87) made of the arm64 prebuilt's files, in a new localBuilds folder. */
async function orinBuild(extra: Partial<FakeBuild> = {}, root = tempDir()): Promise<{ root: string; name: string }> {
  const name = await makeLocalBuild(root, {
    arch: 'arm64',
    gpu: 'cuda',
    customCmakeOptions: ORIN_ARCH,
    files: prebuiltFiles('linux-arm64'),
    ...extra,
  });
  return { root, name };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bij-llama-'));
}

/** A library as a JetPack 5 build of llama.cpp would be: built against glibc 2.31 and GCC 9's libstdc++. */
function jp5Library(needed: string[]): Buffer {
  return elfImage({
    needed,
    versions: {
      'libc.so.6': ['GLIBC_2.17', 'GLIBC_2.27', 'GLIBC_2.28'],
      'libstdc++.so.6': ['GLIBCXX_3.4.26', 'GLIBCXX_3.4.28', 'CXXABI_1.3.12'],
    },
    runpath: '$ORIGIN',
  });
}

describe("node-llama-cpp's local build folder names", () => {
  it('are the names node-llama-cpp itself derives, with and without custom CMake options or another release', async () => {
    const cases: BuildOptionsRecord[] = [
      { platform: 'linux', arch: 'arm64', gpu: 'cuda', customCmakeOptions: ORIN_ARCH },
      { platform: 'linux', arch: 'arm64', gpu: 'cuda', customCmakeOptions: {} },
      { platform: 'linux', arch: 'arm64', gpu: false, customCmakeOptions: {} },
      { platform: 'linux', arch: 'x64', gpu: 'vulkan', customCmakeOptions: { GGML_NATIVE: 'OFF', A: 'x y;z' } },
      {
        platform: 'linux',
        arch: 'arm64',
        gpu: 'cuda',
        customCmakeOptions: ORIN_ARCH,
        llamaCpp: { repo: 'ggml-org/llama.cpp', release: 'b6000' },
      },
      {
        platform: 'linux',
        arch: 'arm64',
        gpu: 'cuda',
        customCmakeOptions: {},
        llamaCpp: { repo: 'someone/llama.cpp', release: 'b 6000' },
      },
    ];
    for (const options of cases) {
      assert.equal(buildFolderName(options, BUNDLED_RELEASE), await nlcFolderName(options), JSON.stringify(options));
    }
    assert.match(buildFolderName(cases[0]!, BUNDLED_RELEASE), /^linux-arm64-cuda-[0-9a-z]+$/);
  });
});

describe('local builds found in a localBuilds folder', () => {
  it('reads the options recorded beside a build, and derives the folder getLlama looks for', async () => {
    const { root, name } = await orinBuild();
    const install = findLlamaBuilds({ platform: 'linux', arch: 'arm64', localBuildsDir: root, env: {} });
    const local = install.builds.find((build) => build.kind === 'local');
    assert.ok(local, 'the local build was not found');
    assert.equal(local.name, name);
    assert.equal(local.lookupName, name);
    assert.deepEqual(local.options?.customCmakeOptions, ORIN_ARCH);
    assert.equal(local.options?.gpu, 'cuda');
    assert.deepEqual(local.problems, []);
    assert.ok(local.files.some((file) => file.file.endsWith('llama-addon.node')));
    // The prebuilt one is there too; x64's are not arm64's.
    assert.ok(install.builds.some((build) => build.kind === 'prebuilt' && build.name === 'linux-arm64'));
    assert.ok(!install.builds.some((build) => build.name.startsWith('linux-x64')));
  });

  it('refuses an unfinished build, and one that the environment renames', async () => {
    const { root } = await orinBuild({ unfinished: true });
    const system = recordedLlamaSystem(JP6);
    const unfinished = findLlamaBuilds({ platform: 'linux', arch: 'arm64', localBuildsDir: root, env: {} });
    const [verdict] = judgeAll(
      unfinished.builds.filter((build) => build.kind === 'local'),
      system,
    );
    assert.equal(verdict!.binary.loads, false);
    assert.match(verdict!.binary.why, /buildDone\.status/);

    const { root: done } = await orinBuild();
    const env = { NODE_LLAMA_CPP_CMAKE_OPTION_GGML_CUDA_F16: '1' };
    const renamed = findLlamaBuilds({ platform: 'linux', arch: 'arm64', localBuildsDir: done, env });
    const [judged] = judgeAll(
      renamed.builds.filter((build) => build.kind === 'local'),
      system,
    );
    assert.equal(judged!.binary.loads, false);
    assert.match(judged!.binary.why, /getLlama would look for linux-arm64-cuda-/);
  });

  it('in a packaged app, reads the builds beside app.asar, where electron-builder unpacked them', async () => {
    const resources = path.join(tempDir(), 'resources');
    const unpackedNlc = path.join(resources, 'app.asar.unpacked', 'node_modules', 'node-llama-cpp');
    fs.mkdirSync(path.join(unpackedNlc, 'llama'), { recursive: true });
    // The archive itself is a file: nothing under app.asar/ is a folder to a process without Electron's asar support.
    fs.writeFileSync(path.join(resources, 'app.asar'), '');
    fs.writeFileSync(
      path.join(unpackedNlc, 'llama', 'binariesGithubRelease.json'),
      JSON.stringify({ release: BUNDLED_RELEASE.release }),
    );
    const { name } = await orinBuild({}, path.join(unpackedNlc, 'llama', 'localBuilds'));
    const install = findLlamaBuilds({
      platform: 'linux',
      arch: 'arm64',
      nodeLlamaCppDir: path.join(resources, 'app.asar', 'node_modules', 'node-llama-cpp'),
      env: {},
    });
    assert.equal(install.localBuildsDir, path.join(unpackedNlc, 'llama', 'localBuilds'));
    const local = install.builds.find((build) => build.kind === 'local');
    assert.equal(local?.name, name);
    assert.equal(local?.lookupName, name, 'the bundled release was read from the unpacked folder');
  });
});

describe('the verdict on recorded boards, from the real prebuilt binaries', () => {
  it('JetPack 5 (glibc 2.31, GLIBCXX 3.4.28): the arm64 prebuilt cannot load, names what is missing, says what to run', () => {
    const llama = discoverLlama({ recorded: JP5 });
    assert.equal(llama.platform, 'linux-arm64');
    const prebuilt = llama.candidates.find((binary) => binary.name === 'linux-arm64');
    assert.ok(prebuilt);
    assert.equal(prebuilt.loads, false);
    assert.deepEqual(prebuilt.missing, ['GLIBC_2.32', 'GLIBC_2.33', 'GLIBC_2.34', 'GLIBCXX_3.4.29', 'GLIBCXX_3.4.30']);
    assert.deepEqual(prebuilt.needs, ['GLIBC_2.34', 'GLIBCXX_3.4.30', 'CXXABI_1.3.13']);
    assert.equal(llama.using, null);
    assert.match(llama.advice ?? '', /npm run build:llama-cuda/);
    assert.match(llama.advice ?? '', /npx --no node-llama-cpp source download --gpu cuda/);
    assert.match(llamaSummary(llama), /no llama\.cpp binary here loads/);
  });

  it('JetPack 5 from the AppImage: the To do line says what its user can do, not an npm script it cannot run', () => {
    const packaged = path.join(tempDir(), 'resources', 'app.asar.unpacked', 'node_modules', 'node-llama-cpp');
    fs.mkdirSync(packaged, { recursive: true });
    const llama = discoverLlama({ recorded: JP5, nodeLlamaCppDir: packaged });
    assert.equal(llama.using, null);
    assert.match(
      llama.advice ?? '',
      /^Build llama\.cpp with CUDA on this board\. This packaged app cannot build into itself/,
    );
    assert.match(
      llama.advice ?? '',
      /in a checkout of brain-in-jar on this board, run `npm ci`, then npm run build:llama-cuda/,
    );
    assert.match(llama.advice ?? '', /then `npm run dist`: the AppImage it makes ships that build/);
    assert.match(llama.advice ?? '', /Until then no instance can load/);
    // From a checkout, the script is run where the user stands.
    assert.doesNotMatch(discoverLlama({ recorded: JP5 }).advice ?? '', /packaged|checkout|npm run dist/);
  });

  it('JetPack 6 (glibc 2.35, GLIBCXX 3.4.30): the prebuilt loads on the CPU, and CUDA needs a build', () => {
    const llama = discoverLlama({ recorded: JP6 });
    const prebuilt = llama.candidates.find((binary) => binary.name === 'linux-arm64');
    assert.equal(prebuilt?.loads, true);
    assert.deepEqual(prebuilt?.missing, []);
    assert.equal(llama.using?.name, 'linux-arm64');
    assert.equal(llama.using?.gpu, false);
    assert.match(llama.advice ?? '', /npm run build:llama-cuda/);
    assert.equal(llamaSummary(llama), 'llama.cpp: prebuilt linux-arm64 (CPU), no GPU build for linux-arm64 here');
  });

  it('JetPack 6 without --glibcxx: the verdict is "not known", never a guess', () => {
    const llama = discoverLlama({ recorded: { glibc: '2.35', jetson: true } });
    const prebuilt = llama.candidates.find((binary) => binary.name === 'linux-arm64');
    assert.equal(prebuilt?.loads, null);
    assert.match(prebuilt?.why ?? '', /GLIBCXX is not known/);
    assert.match(llama.system.source, /give --glibcxx/);
  });

  it('an x64 Debian 12 board without a GPU (glibc 2.36, GLIBCXX 3.4.30): the x64 CPU prebuilt loads and is used', () => {
    const llama = discoverLlama({ recorded: { glibc: '2.36', glibcxx: '3.4.30', jetson: false, gpu: false } });
    if (process.arch !== 'x64') return; // judged as this machine's architecture
    assert.equal(llama.candidates.find((binary) => binary.name === 'linux-x64')?.loads, true);
    // Its GPU builds need libraries a recording cannot show: not known, not "loads".
    assert.equal(llama.candidates.find((binary) => binary.name === 'linux-x64-cuda')?.loads, null);
    assert.equal(llama.using?.name, 'linux-x64');
    assert.equal(llama.advice, null);
  });

  it('JetPack 6 with a local CUDA build made with custom options: found and used, its options handed to getLlama', async () => {
    const { root, name } = await orinBuild();
    const llama = discoverLlama({ recorded: JP6, localBuildsDir: root });
    assert.equal(llama.using?.name, name);
    assert.equal(llama.using?.kind, 'local');
    assert.equal(llama.using?.gpu, 'cuda');
    assert.deepEqual(llama.using?.cmakeOptions, ORIN_ARCH);
    assert.equal(llama.advice, null);
    assert.equal(llamaSummary(llama), `llama.cpp: local ${name} (CUDA, CMAKE_CUDA_ARCHITECTURES=87), it loads here`);
    assert.deepEqual(llamaLoadOptions(true, { recorded: JP6, localBuildsDir: root }), {
      gpu: 'cuda',
      cmakeOptions: ORIN_ARCH,
      binary: `local ${name}`,
    });
    // A plan without GPU layers takes the CPU binary that loads.
    assert.deepEqual(llamaLoadOptions(false, { recorded: JP6, localBuildsDir: root }), {
      gpu: false,
      binary: 'prebuilt linux-arm64',
    });
  });

  it('JetPack 5 with a CUDA build made on the board: it loads where the prebuilt cannot, even for a CPU-only plan', async () => {
    const { root, name } = await orinBuild({
      platformInfo: { name: 'Ubuntu', version: '20.04' },
      files: {
        'llama-addon.node': jp5Library(['libllama.so', 'libggml.so', 'libstdc++.so.6', 'libc.so.6']),
        'libllama.so': jp5Library(['libggml.so', 'libc.so.6']),
        'libggml.so': jp5Library(['libggml-cuda.so', 'libc.so.6']),
        'libggml-cuda.so': jp5Library(['libcudart.so.11.0', 'libcublas.so.11', 'libcuda.so.1', 'libc.so.6']),
      },
    });
    const llama = discoverLlama({ recorded: JP5, localBuildsDir: root });
    const local = llama.candidates.find((binary) => binary.name === name);
    // The CUDA runtime it needs cannot be looked up on a recording: "may load", and still the one to use.
    assert.equal(local?.loads, null);
    assert.match(local?.why ?? '', /libcublas\.so\.11, libcuda\.so\.1, libcudart\.so\.11\.0 not looked up/);
    assert.equal(local?.builtOn, 'Ubuntu 20.04');
    assert.equal(llama.using?.name, name);
    assert.equal(llama.advice, null);
    assert.deepEqual(llamaLoadOptions(false, { recorded: JP5, localBuildsDir: root }).cmakeOptions, ORIN_ARCH);
  });
});

describe('the verdict on this machine, with the loader search stubbed', () => {
  const system = (libraries: string[]): LlamaSystem => ({
    platform: 'linux',
    arch: 'arm64',
    abi: { glibc: '2.35', glibcxx: '3.4.30', cxxabi: '1.3.13', source: 'test' },
    os: 'Ubuntu 22.04.4 LTS',
    jetson: true,
    gpu: null,
    resolve: (name, _runpath, origin) =>
      libraries.includes(name) ? `/usr/lib/${name}` : fs.existsSync(path.join(origin, name)) ? origin : null,
  });

  it('a CUDA build whose runtime is not on the loader path cannot load, and the library is named', async () => {
    const { root } = await orinBuild({
      files: {
        ...prebuiltFiles('linux-arm64'),
        'libggml-cuda.so': elfImage({ needed: ['libcudart.so.12', 'libcuda.so.1', 'libc.so.6'] }),
      },
    });
    const builds = findLlamaBuilds({ platform: 'linux', arch: 'arm64', localBuildsDir: root, env: {} }).builds;
    const without = discoverFrom(builds, system(['libc.so.6', 'libm.so.6', 'libstdc++.so.6', 'libgcc_s.so.1']));
    const cuda = without.candidates.find((binary) => binary.kind === 'local');
    assert.equal(cuda?.loads, false);
    assert.deepEqual(cuda?.missing, ['libcuda.so.1', 'libcudart.so.12']);
    assert.equal(without.using?.name, 'linux-arm64');
    assert.match(without.using?.why ?? '', /no GPU build loads/);

    const withRuntime = discoverFrom(
      builds,
      system(['libc.so.6', 'libm.so.6', 'libstdc++.so.6', 'libgcc_s.so.1', 'libcudart.so.12', 'libcuda.so.1']),
    );
    assert.equal(withRuntime.using?.kind, 'local');
    assert.equal(withRuntime.using?.gpu, 'cuda');
  });

  it("prefers node-llama-cpp's last CLI build, then the newest, among local builds that load", async () => {
    const { root, name: older } = await orinBuild();
    const { name: newer } = await orinBuild({ customCmakeOptions: {} }, root);
    fs.utimesSync(path.join(root, older, 'buildDone.status'), new Date(1000), new Date(1000));
    const builds = findLlamaBuilds({ platform: 'linux', arch: 'arm64', localBuildsDir: root, env: {} }).builds;
    const everything = system(['libc.so.6', 'libm.so.6', 'libstdc++.so.6', 'libgcc_s.so.1']);
    assert.equal(chooseBinary(judgeAll(builds, everything), true)?.build.name, newer);
    const marked = builds.map((build) => (build.name === older ? { ...build, lastBuild: true } : build));
    assert.equal(chooseBinary(judgeAll(marked, everything), true)?.build.name, older);
  });
});
