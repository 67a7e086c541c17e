/**
 * Builds llama.cpp with CUDA for this board (a Jetson Orin by default), with node-llama-cpp's own source build, before
 * packaging. Prints what it runs; fails at once, with the reason, where the build could not succeed.
 *
 *   npm run build:llama-cuda [-- --cuda-arch 87] [--dry-run]
 *
 * --cuda-arch: CMAKE_CUDA_ARCHITECTURES (default 87, the Orin; "native" builds for the GPU of this machine).
 * --dry-run: print the command and the checks, build nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { describeLlamaBinary } from '../shared/board.js';
import {
  cmakeProblem,
  cudaBuildPlan,
  findCudaToolkit,
  missingBuildTools,
  validArchitectures,
} from '../electron/core/board/cudaBuild.js';
import { discoverLlama } from '../electron/core/board/llamaDiscovery.js';
import { nodeLlamaCppDir } from '../electron/core/board/llamaBuilds.js';

const USAGE = 'usage: npm run build:llama-cuda [-- --cuda-arch 87] [--dry-run]';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message: string): never {
  process.stderr.write(`build:llama-cuda: ${message}\n`);
  process.exit(1);
}

function main(): void {
  let values: { 'cuda-arch'?: string; 'dry-run'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { 'cuda-arch': { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const architectures = values['cuda-arch'];
  if (architectures !== undefined && !validArchitectures(architectures)) {
    fail(`--cuda-arch must be CMake's CUDA architectures (87, 87;72, native), not "${architectures}"`);
  }
  if (process.platform !== 'linux') fail(`this builds for a Linux board, not ${process.platform}`);

  const nlc = nodeLlamaCppDir();
  if (!nlc) fail('node-llama-cpp is not installed: run `npm ci` first');
  if (!fs.existsSync(path.join(nlc, 'llama', 'gitRelease.bundle'))) {
    fail(`${nlc}/llama/gitRelease.bundle is missing: without the bundled llama.cpp source the build needs the network`);
  }
  const toolkit = findCudaToolkit(process.env);
  if (!toolkit.ok) fail(toolkit.error);
  const tools = missingBuildTools(process.env);
  if (tools.length > 0) {
    fail(
      `${tools.join(', ')} not found: sudo apt-get install -y cmake build-essential (node-llama-cpp would try to download cmake)`,
    );
  }

  const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const tooOld = cmakeProblem(cmake.stdout ?? '');
  if (tooOld) fail(tooOld);

  const plan = cudaBuildPlan(process.env, toolkit.value, { architectures });
  process.stdout.write(
    [
      `CUDA toolkit: ${plan.toolkit.home} (nvcc ${plan.toolkit.nvcc})`,
      `CUDA architectures: ${plan.architectures}`,
      `Running: ${plan.display}`,
      'node-llama-cpp records these options in llama/localBuilds/<folder>/Release/_nlcBuildMetadata.json; the workers',
      'read them back and pass them to getLlama, so this build is the one they load.',
      '',
    ].join('\n'),
  );
  if (values['dry-run']) return;

  const child = spawn(plan.command, plan.args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...plan.env } });
  child.on('error', (error) => fail(`could not run ${plan.command}: ${error.message}`));
  child.on('exit', (code, signal) => {
    if (code !== 0) fail(`the build failed (${signal ?? `exit ${code}`}); its log is above`);
    const llama = discoverLlama();
    process.stdout.write(
      `\nWorkers use: ${llama.using ? describeLlamaBinary(llama.using) : 'nothing that loads'}\n` +
        `Check with: node --import tsx electron/headless.ts doctor (or brain-in-jar doctor)\n`,
    );
    if (llama.using?.gpu !== 'cuda')
      fail(`the CUDA build is not the one the workers would load: ${llama.using?.why ?? ''}`);
  });
}

main();
