/**
 * A minimal ELF64 (or ELF32) little-endian shared object for tests: the sections the dynamic loader's version checks read
 * (.dynstr, .gnu.version_r, .gnu.version_d, .dynamic, .shstrtab) and nothing else. It stands in for a library built on
 * another system (a JetPack 5 build needing only GLIBC_2.17), which cannot be had here.
 */

export interface ElfImageSpec {
  /** e_machine: 183 AArch64 (default), 62 x86-64. */
  machine?: number;
  /** DT_NEEDED, in order. */
  needed?: string[];
  /** Needed versions per library: { "libc.so.6": ["GLIBC_2.17"] }. */
  versions?: Record<string, string[]>;
  /** Versions it defines (its soname is added first, as the base entry). */
  defines?: { soname: string; versions: string[] };
  runpath?: string;
  /** An ELF32 file (an armv7l library) instead of ELF64. */
  elf32?: boolean;
}

export function elfImage(spec: ElfImageSpec): Buffer {
  const wide = !spec.elf32;
  const word = wide ? 8 : 4;
  const writeWord = (buffer: Buffer, value: number, at: number) =>
    wide ? buffer.writeBigUInt64LE(BigInt(value), at) : buffer.writeUInt32LE(value, at);
  const strings = ['\0'];
  const offsets = new Map<string, number>();
  const str = (text: string) => {
    if (!offsets.has(text)) {
      offsets.set(text, strings.join('').length);
      strings.push(`${text}\0`);
    }
    return offsets.get(text)!;
  };

  const verneed: Buffer[] = [];
  const libraries = Object.entries(spec.versions ?? {});
  libraries.forEach(([file, names], index) => {
    const entry = Buffer.alloc(16 + 16 * names.length);
    entry.writeUInt16LE(1, 0);
    entry.writeUInt16LE(names.length, 2);
    entry.writeUInt32LE(str(file), 4);
    entry.writeUInt32LE(16, 8);
    entry.writeUInt32LE(index === libraries.length - 1 ? 0 : entry.length, 12);
    names.forEach((name, at) => {
      const aux = 16 + 16 * at;
      entry.writeUInt32LE(0, aux);
      entry.writeUInt16LE(at + 2, aux + 6);
      entry.writeUInt32LE(str(name), aux + 8);
      entry.writeUInt32LE(at === names.length - 1 ? 0 : 16, aux + 12);
    });
    verneed.push(entry);
  });

  const verdef: Buffer[] = [];
  if (spec.defines) {
    const all = [spec.defines.soname, ...spec.defines.versions];
    all.forEach((name, index) => {
      const entry = Buffer.alloc(28);
      entry.writeUInt16LE(1, 0);
      entry.writeUInt16LE(index === 0 ? 1 : 0, 2);
      entry.writeUInt16LE(index + 1, 4);
      entry.writeUInt16LE(1, 6);
      entry.writeUInt32LE(20, 12);
      entry.writeUInt32LE(index === all.length - 1 ? 0 : 28, 16);
      entry.writeUInt32LE(str(name), 20);
      verdef.push(entry);
    });
  }

  const dynamicEntries: Array<[number, number]> = [
    ...(spec.needed ?? []).map((name): [number, number] => [1, str(name)]),
    ...(spec.runpath ? [[29, str(spec.runpath)] as [number, number]] : []),
    [0, 0],
  ];
  const dynamic = Buffer.alloc(2 * word * dynamicEntries.length);
  dynamicEntries.forEach(([tag, value], index) => {
    writeWord(dynamic, tag, index * 2 * word);
    writeWord(dynamic, value, index * 2 * word + word);
  });

  const dynstr = Buffer.from(strings.join(''), 'latin1');
  const sectionNames = ['', '.dynstr', '.gnu.version_r', '.gnu.version_d', '.dynamic', '.shstrtab'];
  const shstrtab = Buffer.from(`${sectionNames.join('\0')}\0`, 'latin1');
  const nameAt = (index: number) => sectionNames.slice(0, index).reduce((sum, name) => sum + name.length + 1, 0);

  const bodies = [dynstr, Buffer.concat(verneed), Buffer.concat(verdef), dynamic, shstrtab];
  const placed: Array<{ offset: number; size: number }> = [];
  const headerSize = wide ? 64 : 52;
  const entrySize = wide ? 64 : 40;
  let offset = headerSize;
  for (const body of bodies) {
    offset = Math.ceil(offset / 8) * 8;
    placed.push({ offset, size: body.length });
    offset += body.length;
  }
  const shoff = Math.ceil(offset / 8) * 8;
  const image = Buffer.alloc(shoff + entrySize * sectionNames.length);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, 1, 1]).copy(image, 0);
  image.writeUInt16LE(3, 16); // ET_DYN
  image.writeUInt16LE(spec.machine ?? (wide ? 183 : 40), 18);
  image.writeUInt32LE(1, 20);
  writeWord(image, shoff, wide ? 0x28 : 0x20);
  image.writeUInt16LE(headerSize, wide ? 0x34 : 0x28);
  image.writeUInt16LE(entrySize, wide ? 0x3a : 0x2e);
  image.writeUInt16LE(sectionNames.length, wide ? 0x3c : 0x30);
  image.writeUInt16LE(sectionNames.length - 1, wide ? 0x3e : 0x32);
  bodies.forEach((body, index) => body.copy(image, placed[index]!.offset));

  const types = [3, 0x6ffffffe, 0x6ffffffd, 6, 3];
  const links = [0, 1, 1, 1, 0];
  const infos = [0, libraries.length, verdef.length, 0, 0];
  for (let i = 1; i < sectionNames.length; i++) {
    const at = shoff + entrySize * i;
    image.writeUInt32LE(nameAt(i), at);
    image.writeUInt32LE(types[i - 1]!, at + 4);
    // sh_offset, sh_size, sh_link, sh_info and sh_entsize, at their places in each class.
    writeWord(image, placed[i - 1]!.offset, wide ? 24 + at : 16 + at);
    writeWord(image, placed[i - 1]!.size, wide ? 32 + at : 20 + at);
    image.writeUInt32LE(links[i - 1]!, at + (wide ? 40 : 24));
    image.writeUInt32LE(infos[i - 1]!, at + (wide ? 44 : 28));
    writeWord(image, i === 4 ? 2 * word : 0, at + (wide ? 56 : 36));
  }
  return image;
}
