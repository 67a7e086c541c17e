import fs from 'node:fs';

import { tensorBytes } from './ggmlTypes.js';
import { quantize, WRITABLE_TYPES } from './quantize.js';
import { GGUF_MAGIC, GgufValueType } from './readGguf.js';
import { writeAll } from '../store/writeAll.js';

export { toHalf } from './quantize.js';

/**
 * A GGUF version 3 writer (or 2, which differs only in that 3 may be big-endian), for the generated demo and test
 * models. Tensor data is produced one tensor at a time by a callback and streamed to the file, so a 200 MB model
 * never has to sit in memory whole.
 */

export type MetadataValue =
  | { type: 'u16'; value: number }
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]'; value: readonly number[] }
  | { type: 'i32[]'; value: readonly number[] };

export interface TensorSpec {
  name: string;
  /** ggml order: dims[0] is the length of a row. */
  dims: number[];
  /** A ggml type: F32, F16, BF16 or a block format quantize.ts writes; any other needs a sparse file. */
  type: number;
  /** Fills `out` (length = element count) with the tensor's values. */
  fill(out: Float32Array): void;
}

const ALIGNMENT = 32;

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;

  push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }
  u16(value: number): void {
    this.fixed(2, (b) => b.writeUInt16LE(value));
  }
  u32(value: number): void {
    this.fixed(4, (b) => b.writeUInt32LE(value));
  }
  i32(value: number): void {
    this.fixed(4, (b) => b.writeInt32LE(value));
  }
  u64(value: number): void {
    this.fixed(8, (b) => b.writeBigUInt64LE(BigInt(value)));
  }
  f32(value: number): void {
    this.fixed(4, (b) => b.writeFloatLE(value));
  }
  bool(value: boolean): void {
    this.fixed(1, (b) => b.writeUInt8(value ? 1 : 0));
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
  private fixed(size: number, write: (bytes: Buffer) => unknown): void {
    const bytes = Buffer.alloc(size);
    write(bytes);
    this.push(bytes);
  }
}

type Scalar = 'u16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string';

/** Each scalar kind's GGUF value type. */
const SCALAR_TYPES: Readonly<Record<Scalar, GgufValueType>> = {
  u16: GgufValueType.UINT16,
  u32: GgufValueType.UINT32,
  i32: GgufValueType.INT32,
  f32: GgufValueType.FLOAT32,
  bool: GgufValueType.BOOL,
  string: GgufValueType.STRING,
};

/** Writes one value of a kind; the MetadataValue union pairs each kind with its value's type. */
function writeScalar(out: ByteWriter, kind: Scalar, value: number | string | boolean): void {
  if (kind === 'string') out.string(value as string);
  else if (kind === 'bool') out.bool(value as boolean);
  else out[kind](value as number);
}

/** A value is its type, then itself; an array is ARRAY, its items' type, its length, then the items. */
function writeMetadataValue(out: ByteWriter, entry: MetadataValue): void {
  if (entry.type.endsWith('[]')) {
    const kind = entry.type.slice(0, -2) as Scalar;
    const items = entry.value as ReadonlyArray<number | string>;
    out.u32(GgufValueType.ARRAY);
    out.u32(SCALAR_TYPES[kind]);
    out.u64(items.length);
    for (const item of items) writeScalar(out, kind, item);
    return;
  }
  const kind = entry.type as Scalar;
  out.u32(SCALAR_TYPES[kind]);
  writeScalar(out, kind, entry.value as number | string | boolean);
}

function encodeTensor(spec: TensorSpec, values: Float32Array): Buffer {
  const bytes = quantize(spec.type, values);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Writes a complete GGUF file. Returns its size in bytes. `sparse` writes the header only and extends the file to its
 * full size with a hole: a valid model of many gigabytes in no time and no disk, for the planner's tests (its
 * weights are zeros, so it is for sizing, not for thinking).
 */
export function writeGguf(
  file: string,
  metadata: ReadonlyArray<readonly [string, MetadataValue]>,
  tensors: readonly TensorSpec[],
  options: { sparse?: boolean; version?: 2 | 3 } = {},
): number {
  const header = new ByteWriter();
  header.u32(GGUF_MAGIC);
  header.u32(options.version ?? 3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) {
    header.string(key);
    writeMetadataValue(header, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    const bytes = tensorBytes(tensor.type, tensor.dims);
    if (bytes === null) throw new Error(`tensor ${tensor.name}: cannot size type ${tensor.type}`);
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(tensor.type);
    header.u64(offset);
    offsets.push(offset);
    offset = Math.ceil((offset + bytes) / ALIGNMENT) * ALIGNMENT;
  }

  const temporary = `${file}.partial`;
  const fd = fs.openSync(temporary, 'w');
  try {
    const headerBytes = header.toBuffer();
    writeAll(fd, headerBytes);
    const dataStart = Math.ceil(headerBytes.length / ALIGNMENT) * ALIGNMENT;
    let position = headerBytes.length;
    const pad = (to: number): void => {
      if (to > position) writeAll(fd, Buffer.alloc(to - position));
      position = to;
    };
    const filled = options.sparse ? [] : tensors;
    filled.forEach((tensor, index) => {
      if (!WRITABLE_TYPES.includes(tensor.type)) {
        throw new Error(`tensor ${tensor.name}: type ${tensor.type} can only be written sparse`);
      }
      pad(dataStart + offsets[index]!);
      const values = new Float32Array(tensor.dims.reduce((a, b) => a * b, 1));
      tensor.fill(values);
      const encoded = encodeTensor(tensor, values);
      writeAll(fd, encoded);
      position += encoded.length;
    });
    if (options.sparse) fs.ftruncateSync(fd, dataStart + offset);
    else pad(dataStart + offset);
    fs.fsyncSync(fd);
  } catch (error) {
    // A full disk: the fragment goes, so that it holds no space and is never taken for a model.
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  // Written under a temporary name and renamed, so a half-written model is never mistaken for a complete one.
  fs.renameSync(temporary, file);
  return fs.statSync(file).size;
}
