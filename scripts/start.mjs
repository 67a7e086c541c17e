// `npm start`: builds, then launches the Electron app. Where the Electron runtime is missing and cannot be
// downloaded (an offline machine), says so in one line and serves the same panel headless instead.
// Flags after `--` go to the app: npm start -- --model ./models/m.gguf
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

/** The Electron binary, downloading it once if it is not there; null when it cannot be had. */
function electronBinary() {
  const electronDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const installed = () => {
    const pathFile = path.join(electronDir, 'path.txt');
    if (!fs.existsSync(pathFile)) return null;
    const binary = path.join(electronDir, 'dist', fs.readFileSync(pathFile, 'utf8'));
    return fs.existsSync(binary) ? binary : null;
  };
  if (installed()) return installed();
  // Electron fetches its runtime on first use; give the download a bounded chance.
  spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { stdio: 'ignore', timeout: 180_000 });
  return installed();
}

const electron = electronBinary();
if (!electron) {
  process.stdout.write(
    'Electron runtime not installed and it cannot be downloaded here: serving the panel headless instead.\n',
  );
  const { runHeadless } = await import(pathToFileURL(path.join(root, 'dist/electron/headless.js')).href);
  process.exit(await runHeadless(args));
}

const child = spawn(electron, [root, ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
