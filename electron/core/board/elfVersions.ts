import fs from 'node:fs';

/**
 * What a shared library (.so, .node) asks of the system before the dynamic loader will map it, read from the ELF file
 * itself: the symbol versions it needs per library (.gnu.version_r, SHT_GNU_verneed: GLIBC_2.34 from libc.so.6,
 * GLIBCXX_3.4.30 from libstdc++.so.6), the versions it defines (.gnu.version_d, SHT_GNU_verdef: what libstdc++.so.6
 * offers), the libraries it needs (DT_NEEDED) and where it looks for them (DT_RUNPATH, DT_RPATH). Only the headers and
 * the few sections named are read, never the whole file: a CUDA build's libggml-cuda.so is hundreds of MB.
 *
 * A file that is not ELF, truncated or garbled gives an error value that says what is wrong and where, never a throw.
 */

/** Bytes of a file or of a buffer, read by offset. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

export interface ElfDynamicInfo {
  /** e_machine: 62 x86-64, 183 AArch64, 40 ARM. */
  machine: number;
  /** Needed version names per library file, e.g. { "libc.so.6": ["GLIBC_2.17", "GLIBC_2.34"] }. */
  versionsNeeded: Record<string, string[]>;
  /** Versions this file defines (its own soname left out): for libstdc++.so.6, GLIBCXX_3.4 ... CXXABI_1.3.13. */
  versionsDefined: string[];
  /** DT_NEEDED, in order. */
  needed: string[];
  /** DT_RUNPATH, else DT_RPATH, split on ':' ($ORIGIN left as written). */
  runpath: string[];
}

export type ElfResult = { ok: true; info: ElfDynamicInfo } | { ok: false; error: string };

export const ELF_MACHINES: Record<number, string> = { 3: 'x86', 40: 'arm', 62: 'x64', 183: 'arm64', 243: 'riscv64' };

const SHT_STRTAB = 3;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERDEF = 0x6ffffffd;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NEEDED = 1;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const VER_FLG_BASE = 1;
/** No real library has this many version entries; a garbled chain that loops stops here. */
const MAX_ENTRIES = 100_000;
/** Longest string read from a string table. */
const MAX_STRING = 4096;

class ElfFormatError extends Error {}

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    read: (offset, length) => buffer.subarray(offset, offset + length),
  };
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

/** Reads the dynamic-linking facts of an ELF image. */
export function readElfDynamicInfo(source: ByteSource): ElfResult {
  try {
    return { ok: true, info: parse(source) };
  } catch (error) {
    if (error instanceof ElfFormatError) return { ok: false, error: error.message };
    throw error;
  }
}

/** The same, for a file on disk (read in pieces). A file that cannot be opened is an error value too. */
export function readElfFile(file: string): ElfResult {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    return { ok: false, error: `cannot open ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  try {
    const size = fs.fstatSync(fd).size;
    const source: ByteSource = {
      size,
      read(offset, length) {
        const buffer = Buffer.alloc(length);
        const got = fs.readSync(fd, buffer, 0, length, offset);
        return buffer.subarray(0, got);
      },
    };
    const result = readElfDynamicInfo(source);
    return result.ok ? result : { ok: false, error: `${file}: ${result.error}` };
  } finally {
    fs.closeSync(fd);
  }
}

function parse(source: ByteSource): ElfDynamicInfo {
  if (source.size < 16) throw new ElfFormatError(`not an ELF file: ${source.size} bytes, too short for the ELF magic`);
  const ident = source.read(0, 16);
  if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
    throw new ElfFormatError('not an ELF file: it does not start with \\x7fELF');
  }
  const wide = ident[4] === 2;
  if (ident[4] !== 1 && ident[4] !== 2) throw new ElfFormatError(`unknown ELF class ${ident[4]}`);
  const little = ident[5] === 1;
  if (ident[5] !== 1 && ident[5] !== 2) throw new ElfFormatError(`unknown ELF byte order ${ident[5]}`);

  const headerSize = wide ? 64 : 52;
  const header = exact(source, 0, headerSize, 'the ELF header');
  const u16 = (buffer: Buffer, at: number) => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at));
  const u32 = (buffer: Buffer, at: number) => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at));
  const word = (buffer: Buffer, at: number) => {
    if (!wide) return u32(buffer, at);
    const value = little ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`an offset of ${value} is beyond any file`);
    return Number(value);
  };

  const machine = u16(header, 18);
  const shoff = word(header, wide ? 0x28 : 0x20);
  const shentsize = u16(header, wide ? 0x3a : 0x2e);
  const shnum = u16(header, wide ? 0x3c : 0x30);
  if (shoff === 0 || shnum === 0) throw new ElfFormatError('no section headers (stripped of them): nothing to read');
  const minEntry = wide ? 64 : 40;
  if (shentsize < minEntry) throw new ElfFormatError(`section header entries of ${shentsize} bytes (want ${minEntry})`);
  const table = exact(source, shoff, shnum * shentsize, `the ${shnum} section headers at byte ${shoff}`);
  // Where a section header's fields lie in ELF64 and in ELF32 (offset, size and entsize are words of either width).
  const field = wide
    ? { offset: 24, size: 32, link: 40, info: 44, entsize: 56 }
    : { offset: 16, size: 20, link: 24, info: 28, entsize: 36 };
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = i * shentsize;
    sections.push({
      type: u32(table, at + 4),
      offset: word(table, at + field.offset),
      size: word(table, at + field.size),
      link: u32(table, at + field.link),
      info: u32(table, at + field.info),
      entsize: word(table, at + field.entsize),
    });
  }

  const contents = (section: Section, what: string) => exact(source, section.offset, section.size, what);
  const stringsOf = (section: Section, what: string) => {
    const linked = sections[section.link];
    if (!linked || linked.type !== SHT_STRTAB) {
      throw new ElfFormatError(`${what} links to section ${section.link}, which is not a string table`);
    }
    const bytes = contents(linked, `the string table of ${what}`);
    return (at: number) => {
      if (at >= bytes.length) throw new ElfFormatError(`${what} names a string at ${at}, past its table's end`);
      const end = bytes.indexOf(0, at);
      if (end === -1 || end - at > MAX_STRING) throw new ElfFormatError(`${what} has an unterminated string at ${at}`);
      return bytes.toString('latin1', at, end);
    };
  };

  const versionsNeeded: Record<string, string[]> = {};
  for (const section of sections.filter((candidate) => candidate.type === SHT_GNU_VERNEED)) {
    const bytes = contents(section, '.gnu.version_r');
    const name = stringsOf(section, '.gnu.version_r');
    walk(bytes, 0, section.info, 16, 12, '.gnu.version_r', u32, (at) => {
      const count = u16(bytes, at + 2);
      const file = name(u32(bytes, at + 4));
      const names = (versionsNeeded[file] ??= []);
      walk(bytes, at + u32(bytes, at + 8), count, 16, 12, `.gnu.version_r (${file})`, u32, (aux) => {
        names.push(name(u32(bytes, aux + 8)));
      });
    });
  }

  const versionsDefined: string[] = [];
  for (const section of sections.filter((candidate) => candidate.type === SHT_GNU_VERDEF)) {
    const bytes = contents(section, '.gnu.version_d');
    const name = stringsOf(section, '.gnu.version_d');
    walk(bytes, 0, section.info, 20, 16, '.gnu.version_d', u32, (at) => {
      const flags = u16(bytes, at + 2);
      const count = u16(bytes, at + 6);
      if (count === 0 || flags & VER_FLG_BASE) return;
      const aux = at + u32(bytes, at + 12);
      if (aux + 8 > bytes.length) throw new ElfFormatError(`.gnu.version_d runs past its end at byte ${aux}`);
      versionsDefined.push(name(u32(bytes, aux)));
    });
  }

  const needed: string[] = [];
  let runpath: string[] = [];
  let rpath: string[] = [];
  const dynamic = sections.find((candidate) => candidate.type === SHT_DYNAMIC);
  if (dynamic) {
    const bytes = contents(dynamic, '.dynamic');
    const name = stringsOf(dynamic, '.dynamic');
    const entry = wide ? 16 : 8;
    for (let at = 0; at + entry <= bytes.length; at += entry) {
      const tag = word(bytes, at);
      if (tag === 0) break;
      const value = word(bytes, at + entry / 2);
      if (tag === DT_NEEDED) needed.push(name(value));
      else if (tag === DT_RUNPATH) runpath = name(value).split(':');
      else if (tag === DT_RPATH) rpath = name(value).split(':');
    }
  }

  return {
    machine,
    versionsNeeded,
    versionsDefined,
    needed,
    runpath: (runpath.length > 0 ? runpath : rpath).filter((dir) => dir !== ''),
  };
}

/** Follows a chain of `count` records linked by a relative next-offset at `nextAt`, each at least `size` bytes. */
function walk(
  bytes: Buffer,
  start: number,
  count: number,
  size: number,
  nextAt: number,
  what: string,
  u32: (buffer: Buffer, at: number) => number,
  visit: (at: number) => void,
): void {
  if (count > MAX_ENTRIES) throw new ElfFormatError(`${what} claims ${count} entries`);
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at < 0 || at + size > bytes.length) throw new ElfFormatError(`${what} runs past its end at byte ${at}`);
    visit(at);
    const next = u32(bytes, at + nextAt);
    if (next === 0) break;
    at += next;
  }
}

function exact(source: ByteSource, offset: number, length: number, what: string): Buffer {
  if (offset + length > source.size) {
    throw new ElfFormatError(`truncated: ${what} end at byte ${offset + length}, the file has ${source.size}`);
  }
  const bytes = source.read(offset, length);
  if (bytes.length < length) throw new ElfFormatError(`truncated: could read only ${bytes.length} of ${what}`);
  return bytes;
}
