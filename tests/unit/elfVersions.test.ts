import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { bufferSource, ELF_MACHINES, readElfDynamicInfo, readElfFile } from '../../electron/core/board/elfVersions.js';
import { findLlamaBuilds, nodeLlamaCppDir } from '../../electron/core/board/llamaBuilds.js';
import { libraryResolver, newestOf, thisSystemAbi } from '../../electron/core/board/systemLibraries.js';
import { elfImage } from '../helpers/elfImage.js';

const nlc = nodeLlamaCppDir()!;
const packages = path.join(nlc, '..', '@node-llama-cpp');
const x64 = path.join(packages, 'linux-x64', 'bins', 'linux-x64');
const arm64 = path.join(packages, 'linux-arm64', 'bins', 'linux-arm64');

function needs(file: string): string[] {
  const result = readElfFile(file);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return Object.values(result.info.versionsNeeded).flat();
}

function hasReadelf(): boolean {
  try {
    execFileSync('readelf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `readelf -V`'s needed versions as "file:version" lines, to compare with ours. */
function readelfNeeds(file: string): string[] {
  const text = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const section = text.split('Version needs section')[1] ?? '';
  const found: string[] = [];
  let library = '';
  for (const line of section.split('\n')) {
    library = /File: (\S+)/.exec(line)?.[1] ?? library;
    const name = /Name: (\S+)\s+Flags/.exec(line)?.[1];
    if (name) found.push(`${library}:${name}`);
  }
  return found.sort();
}

describe("ELF version needs, on node-llama-cpp's real binaries", () => {
  it('the linux-x64 prebuilt needs GLIBC_2.34 and GLIBCXX_3.4.30 at most, which this Debian 12 (glibc 2.36) has', () => {
    const files = fs.readdirSync(x64).filter((name) => /\.(so|node)$/.test(name));
    assert.ok(files.length > 10);
    const all = files.flatMap((name) => needs(path.join(x64, name)));
    assert.equal(newestOf(all, 'GLIBC'), '2.34');
    assert.equal(newestOf(all, 'GLIBCXX'), '3.4.30');
    const common = readElfFile(path.join(x64, 'libllama-common.so'));
    assert.ok(common.ok);
    assert.ok(common.info.versionsNeeded['libc.so.6']!.includes('GLIBC_2.34'));
    assert.ok(common.info.versionsNeeded['libstdc++.so.6']!.includes('GLIBCXX_3.4.30'));
    assert.equal(common.info.machine, 62);
    const abi = thisSystemAbi();
    assert.ok(abi.glibc !== null && Number(abi.glibc.split('.')[1]) >= 34, `glibc ${abi.glibc}`);
  });

  it('the linux-arm64 prebuilt (the Jetson one) needs GLIBC_2.34 and GLIBCXX_3.4.30, as the issue read with readelf', () => {
    const addon = readElfFile(path.join(arm64, 'llama-addon.node'));
    assert.ok(addon.ok);
    assert.equal(addon.info.machine, 183);
    assert.deepEqual(addon.info.runpath, ['$ORIGIN', '$ORIGIN/../bin']);
    assert.ok(addon.info.needed.includes('libllama.v0.4.0.so'));
    const common = needs(path.join(arm64, 'libllama-common.so'));
    assert.equal(newestOf(common, 'GLIBC'), '2.34');
    assert.equal(newestOf(common, 'GLIBCXX'), '3.4.30');
    assert.equal(newestOf(common, 'CXXABI'), '1.3.13');
  });

  it('matches readelf -V on every prebuilt library here', { skip: !hasReadelf() && 'readelf is not installed' }, () => {
    const install = findLlamaBuilds({ platform: 'linux', arch: 'arm64' });
    const files = [x64, arm64].flatMap((dir) =>
      fs
        .readdirSync(dir)
        .filter((name) => /\.(so|node)$/.test(name))
        .map((name) => path.join(dir, name)),
    );
    assert.ok(install.builds.length > 0);
    for (const file of files) {
      const result = readElfFile(file);
      assert.ok(result.ok);
      const ours = Object.entries(result.info.versionsNeeded)
        .flatMap(([library, names]) => names.map((name) => `${library}:${name}`))
        .sort();
      assert.deepEqual(ours, readelfNeeds(file), file);
    }
  });

  it("reads the versions this system's libstdc++.so.6 defines (.gnu.version_d)", () => {
    const file = libraryResolver(process.arch)('libstdc++.so.6', [], '/');
    assert.ok(file, 'no libstdc++.so.6 here');
    const result = readElfFile(file);
    assert.ok(result.ok);
    assert.ok(result.info.versionsDefined.includes('GLIBCXX_3.4'));
    assert.ok(!result.info.versionsDefined.includes('libstdc++.so.6'), 'the base entry (the soname) is left out');
    // Debian 12's GCC 12 libstdc++ defines up to GLIBCXX_3.4.30.
    assert.equal(thisSystemAbi().glibcxx, newestOf(result.info.versionsDefined, 'GLIBCXX'));
  });

  it("notes that node-llama-cpp's linux-armv7l package holds AArch64 (ELF64) files", () => {
    const result = readElfFile(path.join(packages, 'linux-armv7l', 'bins', 'linux-armv7l', 'llama-addon.node'));
    assert.ok(result.ok);
    assert.equal(ELF_MACHINES[result.info.machine], 'arm64');
  });
});

describe('ELF version needs, on a made image and on broken files', () => {
  const image = elfImage({
    needed: ['libggml-cuda.so', 'libcudart.so.12', 'libc.so.6'],
    versions: { 'libc.so.6': ['GLIBC_2.17', 'GLIBC_2.27'], 'libstdc++.so.6': ['GLIBCXX_3.4.28', 'CXXABI_1.3.9'] },
    defines: { soname: 'libfake.so', versions: ['FAKE_1.0', 'FAKE_1.1'] },
    runpath: '$ORIGIN:/usr/local/cuda/lib64',
  });

  it('reads needs, definitions, DT_NEEDED and RUNPATH', () => {
    const result = readElfDynamicInfo(bufferSource(image));
    assert.ok(result.ok, result.ok ? '' : result.error);
    assert.deepEqual(result.info, {
      machine: 183,
      versionsNeeded: {
        'libc.so.6': ['GLIBC_2.17', 'GLIBC_2.27'],
        'libstdc++.so.6': ['GLIBCXX_3.4.28', 'CXXABI_1.3.9'],
      },
      versionsDefined: ['FAKE_1.0', 'FAKE_1.1'],
      needed: ['libggml-cuda.so', 'libcudart.so.12', 'libc.so.6'],
      runpath: ['$ORIGIN', '/usr/local/cuda/lib64'],
    });
  });

  it('reads an ELF32 image the same way (an armv7l library)', () => {
    const small = elfImage({
      elf32: true,
      needed: ['libc.so.6'],
      versions: { 'libc.so.6': ['GLIBC_2.4', 'GLIBC_2.34'] },
      runpath: '$ORIGIN',
    });
    const result = readElfDynamicInfo(bufferSource(small));
    assert.ok(result.ok, result.ok ? '' : result.error);
    assert.equal(result.info.machine, 40);
    assert.deepEqual(result.info.versionsNeeded, { 'libc.so.6': ['GLIBC_2.4', 'GLIBC_2.34'] });
    assert.deepEqual(result.info.needed, ['libc.so.6']);
    assert.deepEqual(result.info.runpath, ['$ORIGIN']);
  });

  it('says a truncated file is truncated, at every length, and never throws', () => {
    for (const length of [0, 3, 15, 40, 63, 64, 100, image.length - 1]) {
      const result = readElfDynamicInfo(bufferSource(image.subarray(0, length)));
      assert.equal(result.ok, false, `length ${length}`);
      assert.ok(!result.ok && /truncated|too short|not an ELF/.test(result.error), !result.ok ? result.error : '');
    }
    const real = fs.readFileSync(path.join(arm64, 'libggml-base.so'));
    const half = readElfDynamicInfo(bufferSource(real.subarray(0, real.length >> 1)));
    assert.ok(!half.ok && half.error.startsWith('truncated:'), !half.ok ? half.error : '');
  });

  it('says garbage is not ELF, and survives garbage after a valid magic', () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    const notElf = readElfDynamicInfo(bufferSource(garbage));
    assert.ok(!notElf.ok && notElf.error.includes('not an ELF file'));
    for (let seed = 0; seed < 200; seed++) {
      const damaged = Buffer.from(image);
      for (let i = 0; i < 24; i++)
        damaged[16 + ((seed * 131 + i * 977) % (damaged.length - 16))] = (seed * 17 + i) & 0xff;
      const result = readElfDynamicInfo(bufferSource(damaged));
      assert.equal(typeof result.ok, 'boolean');
    }
  });

  it('reports a file that cannot be opened, and a text file named .so', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-elf-'));
    const script = path.join(dir, 'libc.so');
    fs.writeFileSync(script, '/* GNU ld script */\nGROUP ( /lib/libc.so.6 )\n');
    const text = readElfFile(script);
    assert.ok(!text.ok && text.error.includes('not an ELF file'));
    const missing = readElfFile(path.join(dir, 'absent.so'));
    assert.ok(!missing.ok && missing.error.includes('ENOENT'));
  });
});
