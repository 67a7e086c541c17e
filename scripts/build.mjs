// Builds everything `npm start`, the bin and the AppImage run: the Node side (tsc), the sandboxed preload (esbuild,
// CommonJS) and the renderer (vite). Usage: node scripts/build.mjs [--renderer-only]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`build: ${path.basename(command)} ${args.join(' ')} failed\n`);
    process.exit(result.status ?? 1);
  }
}

const rendererOnly = process.argv.includes('--renderer-only');
if (!rendererOnly) {
  run(bin('tsc'), ['-p', 'tsconfig.build.json']);
  await build({
    entryPoints: [path.join(root, 'electron/preload.ts')],
    outfile: path.join(root, 'dist/electron/preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['electron'],
    target: 'es2022',
    logLevel: 'warning',
  });
}
run(bin('vite'), ['build', '--logLevel', 'warn']);
