import fs from 'node:fs';
import path from 'node:path';

import { readElfFile } from './elfVersions.js';

/**
 * The other half of "can this binary load here": what the system offers. Which glibc runs (the process's own report)
 * and which GLIBCXX/CXXABI versions its libstdc++.so.6 defines (read from that file's .gnu.version_d), and where the
 * dynamic loader looks for a library (LD_LIBRARY_PATH, /etc/ld.so.conf and its includes, the default directories),
 * so a library a binary names (libcuda.so.1) can be looked up the way ld.so would, without loading anything.
 */

/** The C and C++ runtime versions a system offers; null where it is not known (a recording that does not say). */
export interface SystemAbi {
  /** e.g. "2.36". */
  glibc: string | null;
  /** Newest GLIBCXX_ version libstdc++.so.6 defines, e.g. "3.4.30". */
  glibcxx: string | null;
  /** Newest CXXABI_ version it defines, e.g. "1.3.13". */
  cxxabi: string | null;
  /** Where these came from: "this machine (/usr/lib/x86_64-linux-gnu/libstdc++.so.6)", "--glibc 2.31". */
  source: string;
}

/** Debian/Ubuntu multiarch directory names by Node's process.arch. */
const TRIPLETS: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  riscv64: 'riscv64-linux-gnu',
};

export function defaultLibraryDirs(arch: string): string[] {
  const triplet = TRIPLETS[arch];
  const multiarch = triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : [];
  return [...multiarch, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
}

/** Directories named by /etc/ld.so.conf, following its `include` lines (globs of the form dir/*.conf). */
export function ldSoConfDirs(file = '/etc/ld.so.conf', seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (!include) {
      dirs.push(line);
      continue;
    }
    for (const pattern of include[1]!.split(/\s+/)) {
      const absolute = path.isAbsolute(pattern) ? pattern : path.join(path.dirname(file), pattern);
      for (const match of expandGlob(absolute)) dirs.push(...ldSoConfDirs(match, seen));
    }
  }
  return dirs;
}

/** A glob with `*` in its last part only, as ld.so.conf includes are written. */
function expandGlob(pattern: string): string[] {
  const base = path.basename(pattern);
  if (!base.includes('*')) return [pattern];
  const matcher = new RegExp(`^${base.split('*').map(escapeRegExp).join('.*')}$`);
  try {
    return fs
      .readdirSync(path.dirname(pattern))
      .filter((name) => matcher.test(name))
      .sort()
      .map((name) => path.join(path.dirname(pattern), name));
  } catch {
    return [];
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds a library as ld.so would, for a binary in `originDir` with the given RUNPATH; null when nowhere. */
export type LibraryResolver = (name: string, runpath: readonly string[], originDir: string) => string | null;

export function libraryResolver(
  arch: string,
  env: NodeJS.ProcessEnv = process.env,
  systemDirs: readonly string[] = [...ldSoConfDirs(), ...defaultLibraryDirs(arch)],
): LibraryResolver {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return (name, runpath, originDir) => {
    if (name.includes('/')) return fs.existsSync(name) ? name : null;
    const dirs = [...fromEnv, ...runpath.map((dir) => dir.replace(/\$(ORIGIN|\{ORIGIN\})/g, originDir)), ...systemDirs];
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    return null;
  };
}

/** "GLIBC_2.34" -> ["GLIBC", [2, 34]]; null for names that carry no number (GLIBC_PRIVATE). */
export function splitVersionName(name: string): [family: string, version: number[]] | null {
  const match = /^([A-Z][A-Z0-9]*)_(\d+(?:\.\d+)*)$/.exec(name);
  return match ? [match[1]!, match[2]!.split('.').map(Number)] : null;
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export function parseVersion(text: string): number[] | null {
  return /^\d+(\.\d+)*$/.test(text.trim()) ? text.trim().split('.').map(Number) : null;
}

/** The newest version of a family among version names: newest(["GLIBCXX_3.4", "GLIBCXX_3.4.30"], "GLIBCXX"). */
export function newestOf(names: readonly string[], family: string): string | null {
  let best: number[] | null = null;
  for (const name of names) {
    const split = splitVersionName(name);
    if (split && split[0] === family && (!best || compareVersions(split[1], best) > 0)) best = split[1];
  }
  return best ? best.join('.') : null;
}

/** The C++ runtime versions of a libstdc++.so.6 file. */
export function libstdcxxVersions(file: string): { glibcxx: string | null; cxxabi: string | null } | null {
  const elf = readElfFile(file);
  if (!elf.ok) return null;
  return {
    glibcxx: newestOf(elf.info.versionsDefined, 'GLIBCXX'),
    cxxabi: newestOf(elf.info.versionsDefined, 'CXXABI'),
  };
}

/**
 * This machine's C and C++ runtimes, from the files ld.so would load: the newest GLIBC_ version libc.so.6 defines (the
 * set a binary is checked against; the running process's own report where libc.so.6 is not found) and the newest
 * GLIBCXX_/CXXABI_ versions of libstdc++.so.6.
 */
export function thisSystemAbi(
  arch: string = process.arch,
  resolve: LibraryResolver = libraryResolver(arch),
): SystemAbi {
  const libc = resolve('libc.so.6', [], '/');
  const libcElf = libc ? readElfFile(libc) : null;
  const glibc = (libcElf?.ok ? newestOf(libcElf.info.versionsDefined, 'GLIBC') : null) ?? reportedGlibc();
  const libstdcxx = resolve('libstdc++.so.6', [], '/');
  const cxx = libstdcxx ? libstdcxxVersions(libstdcxx) : null;
  return {
    glibc,
    glibcxx: cxx?.glibcxx ?? null,
    cxxabi: cxx?.cxxabi ?? null,
    source: `this machine (${libc ?? 'libc.so.6 not found'}, ${libstdcxx ?? 'libstdc++.so.6 not found'})`,
  };
}

function reportedGlibc(): string | null {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? null;
}
