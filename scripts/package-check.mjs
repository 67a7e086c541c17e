// `npm run package:check`: packages the app offline, as `npm run dist` does but into a folder (electron-builder
// --linux dir) for arm64 and x64, against a stand-in Electron runtime, in a temporary folder; then checks each tree
// (scripts/packageLayout.mjs) and runs the packaged CLI from its unpacked files under Node with
// ELECTRON_RUN_AS_NODE=1, the self-test included for this machine's arch. Says what it could not show.
// Usage: node scripts/package-check.mjs [--no-build] [--keep]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ELF_MACHINES, layoutChecks, mb } from './packageLayout.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const started = Date.now();
const ARCHES = ['arm64', 'x64'];
const nativeArch = process.arch in ELF_MACHINES ? process.arch : null;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-package-check-'));
const failures = [];

const say = (line = '') => process.stdout.write(`${line}\n`);
function report(checks) {
  for (const { ok, what, detail } of checks) {
    say(`  ${ok ? 'ok  ' : 'FAIL'}  ${what}${detail ? `: ${detail}` : ''}`);
    if (!ok) failures.push(what);
  }
}
function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, ...options });
}

/** A copy of `from` at `to` made of hard links (fast, no space), or a real copy where links cannot be made. */
function linkTree(from, to) {
  if (run('cp', ['-al', `${from}/.`, to]).status === 0) return 'hard links';
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  return 'a copy';
}

/** A minimal ELF header of the given machine: what the layout checks read of a binary. */
function elfStub(machine) {
  const head = Buffer.alloc(64);
  head.writeUInt32BE(0x7f454c46, 0);
  head[4] = 2; // 64-bit
  head[5] = 1; // little-endian
  head[6] = 1;
  head.writeUInt16LE(3, 16); // a shared object
  head.writeUInt16LE(machine, 18);
  head.writeUInt32LE(1, 20);
  return head;
}

// 1. Build, as `npm run dist` does.
if (!argv.includes('--no-build')) {
  say('package:check: building (scripts/build.mjs)');
  const built = run(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

// 2. The project, staged: the real node_modules is never written to (the stand-in local build below), and npm
// cannot list a node_modules that is a symlink (a git worktree's), which electron-builder asks it to.
const stage = path.join(work, 'project');
fs.mkdirSync(stage);
for (const file of ['package.json', 'package-lock.json', 'electron-builder.yml']) {
  fs.copyFileSync(path.join(root, file), path.join(stage, file));
}
for (const folder of ['build', 'resources'])
  fs.cpSync(path.join(root, folder), path.join(stage, folder), { recursive: true });
const modulesSource = fs.realpathSync(path.join(root, 'node_modules'));
const how = linkTree(modulesSource, path.join(stage, 'node_modules'));
linkTree(path.join(root, 'dist'), path.join(stage, 'dist'));
say(`package:check: staged the project in ${stage} (node_modules as ${how})`);

const llamaDir = path.join(stage, 'node_modules/node-llama-cpp/llama');
const localBuildsDir = path.join(llamaDir, 'localBuilds');
let localBuilds = fs.existsSync(localBuildsDir) ? fs.readdirSync(localBuildsDir) : [];
if (!localBuilds.some((name) => name.startsWith('linux-arm64'))) {
  // No CUDA build made on this machine: a stand-in shows that one would be shipped (arm64) and unpacked.
  const standIn = path.join(localBuildsDir, 'linux-arm64-cuda-standin', 'Release');
  fs.mkdirSync(standIn, { recursive: true });
  fs.writeFileSync(path.join(standIn, 'llama-addon.node'), elfStub(ELF_MACHINES.arm64));
  localBuilds = fs.readdirSync(localBuildsDir);
  say(
    'package:check: no arm64 local build here; added a stand-in (an ELF header) as llama/localBuilds/linux-arm64-cuda-standin',
  );
}

// 3. The stand-in runtime: a folder laid out as an unpacked Electron release for Linux, its `electron` a script.
const electronVersion = JSON.parse(
  fs.readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8'),
).version;
const standin = path.join(work, 'electron-standin');
fs.mkdirSync(path.join(standin, 'resources'), { recursive: true });
fs.mkdirSync(path.join(standin, 'locales'));
const script = '#!/bin/sh\necho "a stand-in for the Electron runtime (package:check): nothing to run" >&2\nexit 1\n';
fs.writeFileSync(path.join(standin, 'electron'), script, { mode: 0o755 });
fs.writeFileSync(path.join(standin, 'chrome-sandbox'), script, { mode: 0o755 });
fs.writeFileSync(path.join(standin, 'locales', 'en-US.pak'), '');
fs.writeFileSync(path.join(standin, 'version'), electronVersion);
fs.writeFileSync(path.join(standin, 'LICENSE'), 'stand-in\n');

// 4. electron-builder, offline: empty caches, and every proxy a closed port, so a download would fail at once.
const out = path.join(work, 'out');
const closed = 'http://127.0.0.1:9';
const offline = {
  ...process.env,
  ELECTRON_BUILDER_CACHE: path.join(work, 'cache/electron-builder'),
  electron_config_cache: path.join(work, 'cache/electron'),
  HTTP_PROXY: closed,
  HTTPS_PROXY: closed,
  http_proxy: closed,
  https_proxy: closed,
  NO_PROXY: '',
  no_proxy: '',
  npm_config_offline: 'true',
};
say(`package:check: electron-builder --linux dir --arm64 --x64 (Electron ${electronVersion}, stand-in runtime)`);
const builderStarted = Date.now();
const builder = run(
  process.execPath,
  [
    path.join(root, 'node_modules/electron-builder/cli.js'),
    '--projectDir',
    stage,
    '--config',
    'electron-builder.yml',
    '--linux',
    'dir',
    ...ARCHES.map((arch) => `--${arch}`),
    '--publish',
    'never',
    `-c.electronDist=${standin}`,
    `-c.electronVersion=${electronVersion}`,
    `-c.directories.output=${out}`,
  ],
  { cwd: stage, env: offline },
);
const builderLog = `${builder.stdout}${builder.stderr}`.split('\n').filter((line) => line.trim() !== '');
for (const line of builderLog) say(`    ${line.trim()}`);
const downloads = builderLog.filter((line) => /download/i.test(line));
report([
  {
    ok: builder.status === 0,
    what: 'electron-builder packaged both arches',
    detail: `exit ${builder.status}, ${((Date.now() - builderStarted) / 1000).toFixed(1)} s`,
  },
  {
    ok: downloads.length === 0,
    what: 'nothing downloaded (caches empty, proxies closed)',
    detail: downloads.join(' | '),
  },
]);

// 5. Each tree: its layout, then its CLI from the unpacked files.
const model = path.join(work, 'model.gguf');
run(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/generate-model.ts'), model], { cwd: root });
const node = (entry, args, timeout = 120_000) =>
  run(process.execPath, [entry, ...args], {
    cwd: work,
    timeout,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', XDG_CONFIG_HOME: path.join(work, 'config') },
  });
const json = (result) => {
  try {
    return JSON.parse(result.stdout);
  } catch {
    return null;
  }
};
/**
 * The production packages npm records for this os-arch (package-lock.json's os, cpu and libc) that are not in
 * node_modules: on another arch, npm installs only the optional packages whose cpu allows this machine.
 */
function missingFor(arch) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages ?? {})
    .filter(([at, entry]) => at.startsWith('node_modules/') && !entry.dev && entry.cpu?.includes(arch))
    .filter(([, entry]) => (entry.os ?? ['linux']).includes('linux') && (entry.libc ?? ['glibc']).includes('glibc'))
    .filter(([at]) => !fs.existsSync(path.join(modulesSource, at.slice('node_modules/'.length))))
    .map(([at]) => at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length));
}

const summary = [];
for (const arch of builder.status === 0 ? ARCHES : []) {
  const dir = path.join(out, arch === 'x64' ? 'linux-unpacked' : `linux-${arch}-unpacked`);
  say('');
  say(`${arch}: ${dir}`);
  const { checks, sizes } = layoutChecks({ dir, arch, executableName: 'brain-in-jar', localBuilds });
  const missing = missingFor(arch);
  checks.push({
    ok: !missing.includes(`@node-llama-cpp/linux-${arch}`),
    what: `the ${arch} packages npm records are installed`,
    detail:
      missing.length === 0
        ? 'all'
        : `not installed on this ${process.arch} machine: ${missing.join(', ')}` +
          (missing.every((name) => name.startsWith('@reflink/'))
            ? " (ipull's copy-on-write helper, imported only when node-llama-cpp downloads a model: unused here)"
            : ''),
  });
  report(checks);
  const headless = path.join(dir, 'resources/app.asar.unpacked/dist/electron/headless.js');
  const help = node(headless, ['--help']);
  const doctor = node(headless, ['doctor', '--json']);
  const backend = json(doctor)?.resources?.backend;
  const plan = json(node(headless, ['plan', '--json', '--model', model]));
  const service = node(headless, ['service']);
  const native = arch === nativeArch;
  report([
    { ok: help.status === 0 && /Usage: brain-in-jar/.test(help.stdout), what: 'CLI: --help', detail: '' },
    {
      ok: doctor.status === 0 && backend && (!native || backend.note === null),
      what: 'CLI: doctor --json',
      detail: backend
        ? `backend ${backend.backend}${backend.note ? ` (${native ? '' : 'expected on this machine: '}${backend.note.slice(0, 120)})` : ', its binaries loaded by the forked probe'}`
        : `exit ${doctor.status} ${doctor.stderr.slice(0, 200)}`,
    },
    {
      ok: Boolean(plan?.instances?.[0]?.totalLayers),
      what: 'CLI: plan --json --model',
      detail: plan?.instances
        ? `SUBJECT ${plan.instances[0].gpuLayers}/${plan.instances[0].totalLayers} layers on the GPU`
        : JSON.stringify(plan),
    },
    {
      ok: service.status === 0 && /^ExecStart=/m.test(service.stdout),
      what: 'CLI: service (prints the unit)',
      detail: (/^ExecStart=.*$/m.exec(service.stdout)?.[0] ?? service.stderr).replaceAll(work, '$TMP'),
    },
  ]);
  if (native) {
    const selfTest = node(headless, ['self-test', '--minutes', '0.05', '--json', '--threads', '1'], 240_000);
    const verdict = json(selfTest);
    report([
      {
        ok: selfTest.status === 0 && verdict?.ok,
        what: 'CLI: self-test --minutes 0.05 (host, worker and panel from the packaged files)',
        detail: verdict
          ? verdict.items.map((one) => `${one.id} ${one.status}`).join(', ')
          : `exit ${selfTest.status} ${selfTest.stderr.slice(-300)}`,
      },
    ]);
  }
  say('  sizes:');
  for (const [what, bytes] of sizes) say(`    ${what.padEnd(40)} ${mb(bytes).padStart(10)}`);
  summary.push(`${arch} ${mb(sizes[0]?.[1] ?? 0)}`);
}

// 6. What a stand-in cannot show.
say('');
say('Not verified here (a stand-in runtime, no network, an x64 machine):');
for (const line of [
  'the AppImage itself: its squashfs, its runtime (FUSE 2: libfuse2), AppRun; `npm run dist` builds it, downloading the AppImage tools and 7-Zip',
  'the tar.gz artifact (electron-builder writes it with 7-Zip, a download)',
  'Electron starting: the window, the renderer read from app.asar, main.js as an ES module through the archive',
  'the entry running a command before Chromium starts (top-level await), and Electron as Node (ELECTRON_RUN_AS_NODE) forking the workers from app.asar.unpacked',
  `the ${nativeArch === 'arm64' ? 'x64' : 'arm64'} binaries running: only their architecture and place are checked`,
  'a real CUDA local build: the stand-in shows only that llama/localBuilds/linux-arm64* is shipped and unpacked',
]) {
  say(`  - ${line}`);
}

if (!argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
else say(`kept ${work}`);
const seconds = ((Date.now() - started) / 1000).toFixed(0);
say('');
say(
  failures.length === 0
    ? `package:check: PASS in ${seconds} s (${summary.join(', ')})`
    : `package:check: FAIL in ${seconds} s: ${failures.join('; ')}`,
);
process.exit(failures.length === 0 ? 0 : 1);
