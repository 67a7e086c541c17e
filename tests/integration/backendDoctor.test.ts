import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { BoardResources } from '../../shared/board.js';
import type { JetsonSystemFacts } from '../../electron/core/board/jetsonSystem.js';
import { cli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { makeLocalBuild, prebuiltFiles } from '../helpers/localBuilds.js';

interface DoctorReport {
  resources: BoardResources;
  jetsonSystem: JetsonSystemFacts;
}

async function doctorJson(args: string[]): Promise<DoctorReport> {
  const result = await cli(['doctor', '--json', ...args]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as DoctorReport;
}

/** An AGX Orin 32 GB on JetPack 5 (L4T R35.4.1, Ubuntu 20.04: glibc 2.31, GCC 9/10's GLIBCXX_3.4.28). */
const JETPACK_5 = [
  '--tegrastats',
  fixturePath('recorded/tegrastats/orin-agx-32gb-jp5format-8cpus-from-script-comment.txt'),
  '--nv-tegra-release',
  fixturePath('recorded/nv_tegra_release/agx-r35.4.1-t186ref-first-line.txt'),
  '--os-release',
  fixturePath('recorded/os-release/ubuntu-20.04.6-focal.txt'),
  '--glibc',
  '2.31',
  '--glibcxx',
  '3.4.28',
  '--cores',
  '8',
];

/** An AGX Orin 32 GB on JetPack 6 (L4T R36.3, Ubuntu 22.04: glibc 2.35, GCC 12's GLIBCXX_3.4.30). */
const JETPACK_6 = [
  '--tegrastats',
  fixturePath('recorded/tegrastats/orin-agx-32gb-jp6-12slots-4off-nonroot.txt'),
  '--nv-tegra-release',
  fixturePath('recorded/nv_tegra_release/r36.3.0-generic.txt'),
  '--os-release',
  fixturePath('recorded/os-release/ubuntu-22.04.2-jammy.txt'),
  '--glibc',
  '2.35',
  '--glibcxx',
  '3.4.30',
  '--cores',
  '8',
];

describe(
  'doctor on recorded Jetsons: which llama.cpp binary loads, from the binaries themselves',
  { timeout: 120_000 },
  () => {
    it('JetPack 5: the prebuilt cannot load (the missing versions named), and the build command is given', async () => {
      const { resources, jetsonSystem } = await doctorJson(JETPACK_5);
      const llama = resources.llama!;
      assert.equal(llama.platform, 'linux-arm64');
      assert.equal(llama.system.os, 'Ubuntu 20.04.6 LTS');
      const prebuilt = llama.candidates.find((binary) => binary.kind === 'prebuilt' && binary.name === 'linux-arm64');
      assert.equal(prebuilt?.loads, false);
      assert.deepEqual(prebuilt?.missing, [
        'GLIBC_2.32',
        'GLIBC_2.33',
        'GLIBC_2.34',
        'GLIBCXX_3.4.29',
        'GLIBCXX_3.4.30',
      ]);
      assert.equal(llama.using, null);
      assert.match(llama.advice ?? '', /npm run build:llama-cuda/);
      // A recorded board's zram, power mode and clocks were not recorded: unknown, not this machine's.
      assert.deepEqual(
        [jetsonSystem.zram.known, jetsonSystem.powerMode.known, jetsonSystem.clocks.known],
        [false, false, false],
      );
    });

    it('JetPack 6: the prebuilt loads on the CPU, and CUDA needs a build', async () => {
      const { resources } = await doctorJson(JETPACK_6);
      const llama = resources.llama!;
      const prebuilt = llama.candidates.find((binary) => binary.name === 'linux-arm64');
      assert.equal(prebuilt?.loads, true);
      assert.equal(llama.using?.name, 'linux-arm64');
      assert.equal(llama.using?.gpu, false);
      assert.match(llama.using?.why ?? '', /no GPU build of llama\.cpp for linux-arm64/);
      assert.match(llama.advice ?? '', /npm run build:llama-cuda/);
    });

    it('JetPack 6 with a local CUDA build made with CMAKE_CUDA_ARCHITECTURES=87: it is found and will be used', async () => {
      const builds = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-localbuilds-'));
      const name = await makeLocalBuild(builds, {
        arch: 'arm64',
        gpu: 'cuda',
        customCmakeOptions: { CMAKE_CUDA_ARCHITECTURES: '87' },
        files: prebuiltFiles('linux-arm64'),
      });
      const { resources } = await doctorJson([...JETPACK_6, '--llama-builds', builds]);
      const llama = resources.llama!;
      assert.equal(llama.using?.kind, 'local');
      assert.equal(llama.using?.name, name);
      assert.equal(llama.using?.gpu, 'cuda');
      assert.deepEqual(llama.using?.cmakeOptions, { CMAKE_CUDA_ARCHITECTURES: '87' });
      assert.equal(llama.advice, null);

      const text = await cli(['doctor', ...JETPACK_6, '--llama-builds', builds]);
      assert.equal(text.code, 0, text.stderr);
      assert.ok(
        text.stdout.includes(`  Workers use: local ${name} (CUDA, CMAKE_CUDA_ARCHITECTURES=87), it loads here`),
        text.stdout,
      );
    });

    it('doctor prints the verdict and the command in text, and refuses a bad --glibc', async () => {
      const text = await cli(['doctor', ...JETPACK_5]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /\[llama\.cpp\] linux-arm64, Ubuntu 20\.04\.6 LTS \(glibc 2\.31, GLIBCXX 3\.4\.28\)/);
      assert.match(text.stdout, /prebuilt linux-arm64 \(CPU\), built on Ubuntu 22\.04: CANNOT LOAD/);
      assert.match(text.stdout, /needs GLIBC_2\.32, GLIBC_2\.33, GLIBC_2\.34, GLIBCXX_3\.4\.29, GLIBCXX_3\.4\.30/);
      assert.match(text.stdout, /To do: Build llama\.cpp with CUDA on this board: npm run build:llama-cuda/);
      assert.match(text.stdout, /zram swap: unknown \[recorded board: not recorded\]/);
      const bad = await cli(['doctor', '--glibc', 'two']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr + bad.stdout, /--glibc must be a version like 2\.31/);
    });
  },
);

describe('doctor on this machine', { timeout: 120_000 }, () => {
  it('lists the binaries here, the one in use, and zram, power mode and clocks (unknown where not there)', async () => {
    const { resources, jetsonSystem } = await doctorJson([]);
    const llama = resources.llama!;
    assert.equal(llama.platform, `linux-${process.arch}`);
    assert.ok(llama.candidates.length > 0);
    assert.ok(llama.using, 'some binary loads here (the tests load models)');
    assert.equal(llama.using.gpu === false ? 'cpu' : llama.using.gpu, resources.backend?.backend);
    assert.equal(typeof jetsonSystem.zram.known, 'boolean');
    if (!fs.existsSync('/etc/nv_tegra_release')) assert.match(jetsonSystem.powerMode.source, /not a Jetson/);
  });
});
