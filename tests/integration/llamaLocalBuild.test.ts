import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';

import { nodeLlamaCppDir } from '../../electron/core/board/llamaBuilds.js';
import { discoverLlama, llamaLoadOptions } from '../../electron/core/board/llamaDiscovery.js';
import { makeLocalBuild, prebuiltFiles } from '../helpers/localBuilds.js';

/**
 * The claim the workers rest on, checked against node-llama-cpp's own getLlama: a local build made with custom CMake
 * options is loaded only when getLlama gets those options, and the options backend discovery reads from the build's
 * metadata are the ones that load it. The build is a copy of the CPU prebuilt under a custom-options folder (a CUDA
 * build cannot be made here), in a copy of node-llama-cpp: its llama/localBuilds is where getLlama looks, and the real
 * one in node_modules is shared by every worktree.
 */

const run = promisify(execFile);
const prebuilt = `linux-${process.arch}`;
const real = nodeLlamaCppDir()!;
const supported =
  process.platform === 'linux' && fs.existsSync(path.join(real, '..', '@node-llama-cpp', prebuilt, 'bins', prebuilt));

/** node_modules with a private copy of node-llama-cpp and every other package linked to the real one. */
function sandbox(): { dir: string; nlc: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-nlc-'));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  const realModules = path.dirname(real);
  for (const entry of fs.readdirSync(realModules)) {
    if (entry === 'node-llama-cpp' || entry === '.bin') continue;
    fs.symlinkSync(path.join(realModules, entry), path.join(modules, entry));
  }
  const nlc = path.join(modules, 'node-llama-cpp');
  const skipped = ['gitRelease.bundle', 'localBuilds', 'llama.cpp', 'lastBuild.json'].map((name) =>
    path.join(real, 'llama', name),
  );
  fs.cpSync(real, nlc, { recursive: true, filter: (source) => !skipped.includes(source) });
  return { dir, nlc };
}

/**
 * What getLlama loads in the copy, from a fresh process. A script file, not `-e`: node-llama-cpp tests a binary in a
 * fork that inherits the parent's flags, and --input-type would make that fork refuse its file.
 */
async function loadIn(nlc: string, options: object): Promise<{ buildType: string; gpu: string | false }> {
  const script = path.join(path.dirname(path.dirname(nlc)), `load-${Date.now()}.mjs`);
  const entry = JSON.stringify(pathToFileURL(path.join(nlc, 'dist', 'index.js')).href);
  fs.writeFileSync(
    script,
    [
      `const { getLlama, LlamaLogLevel } = await import(${entry});`,
      `const llama = await getLlama({ build: 'never', logLevel: LlamaLogLevel.error, ...${JSON.stringify(options)} });`,
      'process.stdout.write(JSON.stringify({ buildType: llama.buildType, gpu: llama.gpu }));',
      'await llama.dispose();',
    ].join('\n'),
  );
  const { stdout } = await run(process.execPath, [script], { timeout: 90_000 });
  return JSON.parse(stdout) as { buildType: string; gpu: string | false };
}

describe(
  'a local build with custom CMake options, through the real getLlama',
  { timeout: 180_000, skip: !supported },
  () => {
    const { dir, nlc } = sandbox();
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('is loaded with the options discovery reads from it, and passed over without them', async () => {
      const name = await makeLocalBuild(path.join(nlc, 'llama', 'localBuilds'), {
        arch: process.arch,
        gpu: false,
        customCmakeOptions: { GGML_NATIVE: 'OFF', BRAIN_IN_JAR_TEST: '1' },
        files: prebuiltFiles(prebuilt),
      });
      assert.match(name, new RegExp(`^${prebuilt}-[0-9a-z]+$`));

      const discovered = discoverLlama({ nodeLlamaCppDir: nlc });
      assert.equal(discovered.using?.name, name, JSON.stringify(discovered.candidates.map((c) => [c.name, c.why])));
      const options = llamaLoadOptions(false, { nodeLlamaCppDir: nlc });
      assert.deepEqual(options, {
        gpu: false,
        cmakeOptions: { GGML_NATIVE: 'OFF', BRAIN_IN_JAR_TEST: '1' },
        binary: `local ${name}`,
      });

      const { binary: _binary, ...getLlamaOptions } = options;
      assert.deepEqual(await loadIn(nlc, getLlamaOptions), { buildType: 'localBuild', gpu: false });
      // What the worker did before: the same gpu without the options finds the prebuilt, never the local build.
      assert.deepEqual(await loadIn(nlc, { gpu: false }), { buildType: 'prebuilt', gpu: false });
    });
  },
);
