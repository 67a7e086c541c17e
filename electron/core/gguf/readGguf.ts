import fs from 'node:fs';

import { tensorBytes } from './ggmlTypes.js';

/**
 * A GGUF header reader that never trusts the file: every length is checked against what is left of the file before
 * anything is allocated, so a corrupt or hostile file gives an error, not an out-of-memory or a hang.
 * Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Arrays longer than this keep only their length (the merges, the token types), except those below. */
const MAX_KEPT_ARRAY = 4096;
/** Kept whole however long: the planner counts the prompts' tokens with the model's own vocabulary. */
const ALWAYS_KEPT = new Set(['tokenizer.ggml.tokens', 'tokenizer.ggml.scores']);

export type GgufScalar = number | string | boolean;
export interface GgufArray {
  itemType: GgufValueType;
  length: number;
  /** The elements, when the array is short enough to keep. */
  values: GgufScalar[] | null;
}
export type GgufValue = GgufScalar | GgufArray;

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  /** Offset of the tensor's data from the start of the data section. */
  offset: number;
  /** Bytes of data, or null when the type is unknown to us. */
  bytes: number | null;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  /** The value type of each metadata key, as written (llama.cpp insists on some: split.no must be a u16). */
  metadataTypes: Map<string, GgufValueType>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** File offset where tensor data begins. */
  dataOffset: number;
  fileSize: number;
}

/** The file is not a GGUF we can read; `reason` is a sentence for the operator. */
export class GgufFormatError extends Error {
  constructor(
    readonly kind: 'not-gguf' | 'unsupported-version' | 'truncated' | 'corrupt',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'GgufFormatError';
  }
}

/** The magic as a big-endian writer may store it, and the error for such a file. */
const BIG_ENDIAN_MAGIC = 0x47475546;
function bigEndian(): GgufFormatError {
  return new GgufFormatError(
    'unsupported-version',
    'it is a big-endian GGUF (made for s390x and the like); llama.cpp here reads little-endian files: ' +
      'use the ordinary (little-endian) download',
  );
}

const CHUNK = 1 << 20;

/** Sequential reader over a file descriptor, buffered in 1 MiB chunks. */
class Cursor {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  position = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  get remaining(): number {
    return this.size - this.position;
  }

  /** The next `length` bytes; the file must hold them. */
  bytes(length: number, what: string): Buffer {
    if (length > this.remaining) {
      throw new GgufFormatError(
        'truncated',
        `the file ends inside the header (reading ${what} at byte ${this.position} of ${this.size})`,
      );
    }
    const offsetInBuffer = this.position - this.bufferStart;
    if (offsetInBuffer < 0 || offsetInBuffer + length > this.buffer.length) {
      const want = Math.max(length, Math.min(CHUNK, this.remaining));
      const buffer = Buffer.alloc(want);
      fs.readSync(this.fd, buffer, 0, want, this.position);
      this.buffer = buffer;
      this.bufferStart = this.position;
    }
    const start = this.position - this.bufferStart;
    this.position += length;
    return this.buffer.subarray(start, start + length);
  }

  u32(what: string): number {
    return this.bytes(4, what).readUInt32LE(0);
  }
  u64(what: string): number {
    const value = this.bytes(8, what).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new GgufFormatError('corrupt', `${what} at byte ${this.position - 8} is impossibly large (${value})`);
    }
    return Number(value);
  }
  string(what: string): string {
    const length = this.u64(`the length of ${what}`);
    return this.bytes(length, what).toString('utf8');
  }
  skip(length: number, what: string): void {
    if (length > this.remaining) this.bytes(length, what);
    this.position += length;
  }
}

/** The scalar types of a fixed size: how many bytes one takes, and how it is read from them. */
const FIXED_SIZE: ReadonlyMap<GgufValueType, { size: number; read: (bytes: Buffer) => GgufScalar }> = new Map([
  [GgufValueType.UINT8, { size: 1, read: (bytes: Buffer) => bytes.readUInt8(0) }],
  [GgufValueType.INT8, { size: 1, read: (bytes: Buffer) => bytes.readInt8(0) }],
  [GgufValueType.BOOL, { size: 1, read: (bytes: Buffer) => bytes.readUInt8(0) !== 0 }],
  [GgufValueType.UINT16, { size: 2, read: (bytes: Buffer) => bytes.readUInt16LE(0) }],
  [GgufValueType.INT16, { size: 2, read: (bytes: Buffer) => bytes.readInt16LE(0) }],
  [GgufValueType.UINT32, { size: 4, read: (bytes: Buffer) => bytes.readUInt32LE(0) }],
  [GgufValueType.INT32, { size: 4, read: (bytes: Buffer) => bytes.readInt32LE(0) }],
  [GgufValueType.FLOAT32, { size: 4, read: (bytes: Buffer) => bytes.readFloatLE(0) }],
  [GgufValueType.INT64, { size: 8, read: (bytes: Buffer) => Number(bytes.readBigInt64LE(0)) }],
  [GgufValueType.FLOAT64, { size: 8, read: (bytes: Buffer) => bytes.readDoubleLE(0) }],
]);

/**
 * Smallest encoded size of one value of a type, used to refuse array counts that cannot fit in the file: a string
 * takes at least its 8-byte length, a u64 its 8 bytes.
 */
function minimumSize(type: GgufValueType): number {
  return FIXED_SIZE.get(type)?.size ?? 8;
}

function readScalar(cursor: Cursor, type: GgufValueType, what: string): GgufScalar {
  if (type === GgufValueType.STRING) return cursor.string(what);
  // A u64 is checked: past 2^53 it is no size or count a file can hold.
  if (type === GgufValueType.UINT64) return cursor.u64(what);
  const fixed = FIXED_SIZE.get(type);
  if (!fixed) throw new GgufFormatError('corrupt', `${what} has an unknown value type ${String(type)}`);
  return fixed.read(cursor.bytes(fixed.size, what));
}

function readValue(cursor: Cursor, type: number, what: string, keepAll = false): GgufValue {
  if (type !== GgufValueType.ARRAY) return readScalar(cursor, type, what);
  const itemType = cursor.u32(`the item type of ${what}`);
  if (itemType === GgufValueType.ARRAY) {
    throw new GgufFormatError('corrupt', `${what} is an array of arrays, which GGUF models do not use`);
  }
  if (!(itemType in GgufValueType)) {
    throw new GgufFormatError('corrupt', `${what} has an unknown item type ${itemType}`);
  }
  const length = cursor.u64(`the length of ${what}`);
  if (length * minimumSize(itemType) > cursor.remaining) {
    throw new GgufFormatError('truncated', `${what} claims ${length} items, more than the rest of the file holds`);
  }
  const keep = keepAll || length <= MAX_KEPT_ARRAY;
  const values: GgufScalar[] = [];
  for (let i = 0; i < length; i++) {
    const value = readScalar(cursor, itemType, what);
    if (keep) values.push(value);
  }
  return { itemType, length, values: keep ? values : null };
}

/** Reads and checks the header and tensor table of a GGUF file. Throws GgufFormatError for a bad file. */
export function readGgufHeader(path: string): GgufHeader {
  const fd = fs.openSync(path, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    const cursor = new Cursor(fd, fileSize);
    if (fileSize < 4) {
      throw new GgufFormatError('not-gguf', `it is ${fileSize} bytes long, too short to be a GGUF model`);
    }
    const magic = cursor.u32('the magic number');
    if (magic === BIG_ENDIAN_MAGIC) throw bigEndian();
    if (magic !== GGUF_MAGIC) {
      const head = Buffer.alloc(4);
      head.writeUInt32LE(magic);
      const shown = /^[\x20-\x7e]{4}$/.test(head.toString('latin1'))
        ? `"${head.toString('latin1')}"`
        : `0x${head.toString('hex')}`;
      throw new GgufFormatError('not-gguf', `it is not a GGUF model (it starts with ${shown}, not "GGUF")`);
    }
    const version = cursor.u32('the version');
    // A big-endian file (written for s390x and the like) has its version's bytes the other way round.
    if (version > 0xffff && (version & 0xffff) === 0) throw bigEndian();
    if (version === 1) {
      throw new GgufFormatError(
        'unsupported-version',
        'it is GGUF version 1, from 2023; llama.cpp reads versions 2 and 3: convert the model again',
      );
    }
    if (version !== 2 && version !== 3) {
      throw new GgufFormatError(
        'unsupported-version',
        `it is GGUF version ${version}; llama.cpp reads versions 2 and 3`,
      );
    }
    const tensorCount = cursor.u64('the tensor count');
    const metadataCount = cursor.u64('the metadata count');
    // Each tensor info and key/value takes at least 8 bytes; more than that cannot be in the file.
    if ((tensorCount + metadataCount) * 8 > cursor.remaining) {
      throw new GgufFormatError(
        'truncated',
        `it claims ${tensorCount} tensors and ${metadataCount} metadata entries, more than the file can hold`,
      );
    }

    const metadata = new Map<string, GgufValue>();
    const metadataTypes = new Map<string, GgufValueType>();
    for (let i = 0; i < metadataCount; i++) {
      const key = cursor.string(`metadata key ${i + 1}`);
      const type = cursor.u32(`the type of ${key}`);
      metadata.set(key, readValue(cursor, type, key, ALWAYS_KEPT.has(key)));
      metadataTypes.set(key, type);
    }

    const alignmentValue = metadata.get('general.alignment');
    const alignment = typeof alignmentValue === 'number' ? alignmentValue : 32;
    if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
      throw new GgufFormatError('corrupt', `general.alignment is ${String(alignmentValue)}, not a multiple of 8`);
    }

    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = cursor.string(`the name of tensor ${i + 1}`);
      const dimCount = cursor.u32(`the dimension count of ${name}`);
      if (dimCount < 1 || dimCount > 4) {
        throw new GgufFormatError('corrupt', `tensor ${name} has ${dimCount} dimensions (ggml allows 1 to 4)`);
      }
      const dims: number[] = [];
      for (let d = 0; d < dimCount; d++) dims.push(cursor.u64(`dimension ${d} of ${name}`));
      const type = cursor.u32(`the type of ${name}`);
      const offset = cursor.u64(`the offset of ${name}`);
      tensors.push({ name, dims, type, offset, bytes: tensorBytes(type, dims) });
    }

    const dataOffset = Math.ceil(cursor.position / alignment) * alignment;
    return { version, metadata, metadataTypes, tensors, alignment, dataOffset, fileSize };
  } finally {
    fs.closeSync(fd);
  }
}

/** A metadata value as a number, or undefined. Per-layer arrays give their largest element. */
export function metadataNumber(header: GgufHeader, key: string): number | undefined {
  const value = header.metadata.get(key);
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value.values && value.values.every((v) => typeof v === 'number')) {
    return value.values.length > 0 ? Math.max(...(value.values as number[])) : undefined;
  }
  return undefined;
}

export function metadataString(header: GgufHeader, key: string): string | undefined {
  const value = header.metadata.get(key);
  return typeof value === 'string' ? value : undefined;
}
