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
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    this.push(b);
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.push(b);
  }
  i32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.push(b);
  }
  u64(value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.push(b);
  }
  f32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.push(b);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeMetadataValue(out: ByteWriter, entry: MetadataValue): void {
  switch (entry.type) {
    case 'u16':
      out.u32(GgufValueType.UINT16);
      out.u16(entry.value);
      return;
    case 'u32':
      out.u32(GgufValueType.UINT32);
      out.u32(entry.value);
      return;
    case 'i32':
      out.u32(GgufValueType.INT32);
      out.i32(entry.value);
      return;
    case 'f32':
      out.u32(GgufValueType.FLOAT32);
      out.f32(entry.value);
      return;
    case 'bool':
      out.u32(GgufValueType.BOOL);
      out.push(Buffer.from([entry.value ? 1 : 0]));
      return;
    case 'string':
      out.u32(GgufValueType.STRING);
      out.string(entry.value);
      return;
    case 'string[]':
      out.u32(GgufValueType.ARRAY);
      out.u32(GgufValueType.STRING);
      out.u64(entry.value.length);
      for (const item of entry.value) out.string(item);
      return;
    case 'f32[]':
      out.u32(GgufValueType.ARRAY);
      out.u32(GgufValueType.FLOAT32);
      out.u64(entry.value.length);
      for (const item of entry.value) out.f32(item);
      return;
    case 'i32[]':
      out.u32(GgufValueType.ARRAY);
      out.u32(GgufValueType.INT32);
      out.u64(entry.value.length);
      for (const item of entry.value) out.i32(item);
      return;
  }
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
