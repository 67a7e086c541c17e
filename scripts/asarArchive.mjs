// Reads an asar archive's table of contents (the format Electron loads app.asar in), without @electron/asar: that
// is only a transitive dependency of electron-builder, and the header is small. The layout: a 4-byte pickle
// (uint32 4), then a pickle holding the header size, then the header pickle (payload size, string length, the JSON
// string, padding), then the files' bytes. Each file entry has a size and an offset into those bytes, or
// `unpacked: true` when electron-builder put the file beside the archive in app.asar.unpacked/ (asarUnpack).
import fs from 'node:fs';

/** The archive's header as parsed JSON. */
export function readAsarHeader(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const sizes = Buffer.alloc(8);
    fs.readSync(fd, sizes, 0, 8, 0);
    if (sizes.readUInt32LE(0) !== 4) throw new Error(`${file} is not an asar archive`);
    const headerPickleSize = sizes.readUInt32LE(4);
    const pickle = Buffer.alloc(headerPickleSize);
    fs.readSync(fd, pickle, 0, headerPickleSize, 8);
    const length = pickle.readUInt32LE(4);
    return JSON.parse(pickle.subarray(8, 8 + length).toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}

/** Every file of the archive by its path ("dist/electron/main.js"), with its size and whether it is unpacked. */
export function listAsar(file) {
  const entries = new Map();
  const walk = (node, prefix) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const at = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, at);
      else if (child.link === undefined) entries.set(at, { size: child.size, unpacked: child.unpacked === true });
    }
  };
  walk(readAsarHeader(file), '');
  return entries;
}
