// The layout checks of `npm run package:check`, for one packaged tree (electron-builder's linux-<arch>-unpacked):
// what app.asar lists, what is unpacked beside it, the worker's imports, the llama.cpp binaries, the architecture
// of every ELF file, and the sizes. Each check is { ok, what, detail }.
import fs from 'node:fs';
import path from 'node:path';

import { listAsar } from './asarArchive.mjs';

/** ELF e_machine values: the only two architectures we package. */
export const ELF_MACHINES = { arm64: 183, x64: 62 };
const MACHINE_NAMES = { 183: 'aarch64', 62: 'x86-64', 40: 'arm', 3: 'x86' };

function walk(dir, onFile) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file, onFile);
    else if (entry.isFile()) onFile(file);
  }
}

/** Bytes under a folder (files only, as du --apparent-size counts them). */
export function sizeOf(target) {
  if (!fs.existsSync(target)) return 0;
  if (fs.statSync(target).isFile()) return fs.statSync(target).size;
  let total = 0;
  walk(target, (file) => (total += fs.statSync(file).size));
  return total;
}

export const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** e_machine of an ELF file, or null for anything else. */
function elfMachine(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    if (fs.readSync(fd, head, 0, 20, 0) < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
    return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every ELF file of the tree, by machine; those of another architecture than `arch` listed. */
export function elfCensus(dir, arch) {
  const byMachine = new Map();
  const foreign = [];
  walk(dir, (file) => {
    const machine = elfMachine(file);
    if (machine === null) return;
    byMachine.set(machine, (byMachine.get(machine) ?? 0) + 1);
    if (machine !== ELF_MACHINES[arch])
      foreign.push(`${path.relative(dir, file)} (${MACHINE_NAMES[machine] ?? machine})`);
  });
  const counts = [...byMachine].map(([machine, n]) => `${n} ${MACHINE_NAMES[machine] ?? machine}`).join(', ');
  return { counts: counts || 'none', foreign };
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A package's folder as Node finds it from `fromDir`, looking only inside `top` (the unpacked tree). */
function findPackage(name, fromDir, top) {
  for (let dir = fromDir; dir.startsWith(top); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === top) break;
  }
  return null;
}

/**
 * What the worker loads, followed from its entry scripts in the unpacked tree: our own modules (relative imports)
 * and the packages they import, with each package's production dependencies, all of it as real files.
 */
export function workerClosure(unpacked, entries) {
  const ours = new Set();
  const packages = new Map();
  const missing = [];
  const visitModule = (file) => {
    if (ours.has(file)) return;
    if (!fs.existsSync(file)) return missing.push(path.relative(unpacked, file));
    ours.add(file);
    for (const match of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (specifier.startsWith('.')) visitModule(path.resolve(path.dirname(file), specifier));
      else if (!specifier.startsWith('node:')) visitPackage(packageNameOf(specifier), path.dirname(file), file);
    }
  };
  const visitPackage = (name, fromDir, by) => {
    const dir = findPackage(name, fromDir, unpacked);
    if (!dir) return missing.push(`${name} (imported by ${path.relative(unpacked, by)})`);
    if (packages.has(dir)) return;
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    packages.set(dir, manifest.name);
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visitPackage(dependency, dir, dir);
  };
  for (const entry of entries) visitModule(path.join(unpacked, entry));
  return { modules: ours.size, packages: packages.size, missing };
}

/** The checks of one packaged tree. `localBuild` is the llama/localBuilds folder the source had for this arch. */
export function layoutChecks({ dir, arch, executableName, localBuilds }) {
  const checks = [];
  const check = (ok, what, detail = '') => checks.push({ ok: Boolean(ok), what, detail });
  const resources = path.join(dir, 'resources');
  const asar = path.join(resources, 'app.asar');
  const unpacked = path.join(resources, 'app.asar.unpacked');
  check(fs.existsSync(path.join(dir, executableName)), `the executable ${executableName}`);
  check(fs.existsSync(asar), 'resources/app.asar');
  if (!fs.existsSync(asar)) return { checks, sizes: [] };

  const listed = listAsar(asar);
  const wanted = ['package.json', 'dist/electron/main.js', 'dist/electron/preload.cjs', 'dist/renderer/index.html'];
  const absent = wanted.filter((file) => !listed.has(file));
  check(
    absent.length === 0,
    'app.asar lists main.js, the preload and the renderer',
    absent.join(', ') || `${listed.size} files`,
  );
  const renderer = [...listed.keys()].filter((file) => file.startsWith('dist/renderer/'));
  check(
    renderer.some((file) => file.endsWith('.js')),
    'the renderer has its scripts',
    `${renderer.length} files`,
  );
  const packedNode = [...listed].filter(([file, entry]) => /^(dist|node_modules)\//.test(file) && !entry.unpacked);
  check(
    packedNode.length === 0,
    'every file of dist/ and node_modules/ is unpacked',
    packedNode
      .slice(0, 3)
      .map(([f]) => f)
      .join(', '),
  );
  const lost = [...listed].filter(([file, entry]) => entry.unpacked && !fs.existsSync(path.join(unpacked, file)));
  check(
    lost.length === 0,
    'each unpacked entry is in app.asar.unpacked',
    lost
      .slice(0, 3)
      .map(([f]) => f)
      .join(', '),
  );

  const closure = workerClosure(unpacked, [
    'dist/electron/worker/main.js',
    'dist/electron/worker/probe.js',
    'dist/electron/worker/inventory.js',
  ]);
  check(
    closure.missing.length === 0 && closure.modules > 3,
    'the worker and what it imports run from unpacked files',
    closure.missing.length > 0
      ? `missing: ${closure.missing.slice(0, 5).join(', ')}`
      : `${closure.modules} modules of ours, ${closure.packages} packages`,
  );
  const addon = `node_modules/@node-llama-cpp/linux-${arch}/bins/linux-${arch}/llama-addon.node`;
  check(fs.existsSync(path.join(unpacked, addon)), `node-llama-cpp's linux-${arch} binaries, unpacked`, addon);
  const binDirs = fs.existsSync(path.join(unpacked, 'node_modules/@node-llama-cpp'))
    ? fs.readdirSync(path.join(unpacked, 'node_modules/@node-llama-cpp')).flatMap((pkg) => {
        const bins = path.join(unpacked, 'node_modules/@node-llama-cpp', pkg, 'bins');
        return fs.existsSync(bins) ? fs.readdirSync(bins) : [];
      })
    : [];
  const otherBins = binDirs.filter((name) => !name.startsWith(`linux-${arch}`));
  check(
    otherBins.length === 0,
    'no llama.cpp binaries of another os-arch',
    `shipped: ${[...new Set(binDirs)].join(', ')}`,
  );

  // koffi: the kernel line watcher's FFI. Only this arch's glibc binary may ship (none where npm did not install it).
  const koffiRoot = path.join(unpacked, 'node_modules/@koromix');
  const koffiBins = fs.existsSync(koffiRoot)
    ? fs
        .readdirSync(koffiRoot, { recursive: true })
        .map(String)
        .filter((file) => file.endsWith('.node'))
    : [];
  check(
    koffiBins.every((file) => file === path.join(`koffi-linux-${arch}`, `linux_${arch}`, 'koffi.node')),
    "koffi's binary of this arch (glibc) only",
    `shipped: ${koffiBins.join(', ') || 'none'}`,
  );

  const builds = path.join(unpacked, 'node_modules/node-llama-cpp/llama/localBuilds');
  const shipped = fs.existsSync(builds) ? fs.readdirSync(builds) : [];
  const expected = localBuilds.filter((name) => name.startsWith(`linux-${arch}`));
  check(
    expected.every((name) => shipped.includes(name)) && shipped.every((name) => name.startsWith(`linux-${arch}`)),
    'the local llama.cpp builds of this arch, and only those',
    `source has ${localBuilds.join(', ') || 'none'}; shipped ${shipped.join(', ') || 'none'}`,
  );

  const elf = elfCensus(dir, arch);
  check(
    elf.foreign.length === 0,
    `every ELF file is ${arch}`,
    elf.foreign.length > 0 ? elf.foreign.slice(0, 5).join(', ') : elf.counts,
  );
  check(
    fs.existsSync(path.join(resources, 'resources', 'brain-in-jar-kiosk.desktop')),
    'the kiosk .desktop file in resources/',
  );

  const modules = path.join(unpacked, 'node_modules');
  const biggest = fs.existsSync(modules)
    ? fs
        .readdirSync(modules)
        .flatMap((name) =>
          name.startsWith('@') ? fs.readdirSync(path.join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
        )
        .map((name) => [name, sizeOf(path.join(modules, name))])
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
    : [];
  const sizes = [
    ['the tree, less Electron (a stand-in)', sizeOf(dir)],
    ['app.asar', sizeOf(asar)],
    ['app.asar.unpacked', sizeOf(unpacked)],
    ['  dist/', sizeOf(path.join(unpacked, 'dist'))],
    ['  node_modules/', sizeOf(modules)],
    ...biggest.map(([name, bytes]) => [`    ${name}`, bytes]),
  ];
  return { checks, sizes };
}
