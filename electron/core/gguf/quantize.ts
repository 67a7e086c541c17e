import { GGML_TYPES } from './ggmlTypes.js';
import { kQuant, Q6_K } from './kQuants.js';
import {
  f,
  GROUP_MAX_EPS,
  nearestInt,
  roundAway,
  clamp,
  toBf16,
  fromBf16,
  putHalf,
  getHalf,
  signedMax,
  minMax,
  IQ4_LEVELS,
  type BlockCodec,
} from './quantMath.js';

export { fromBf16, fromHalf, IQ4_LEVELS, toBf16, toHalf } from './quantMath.js';

/**
 * ggml's block formats, written from float weights the way llama.cpp's reference quantizer writes them (ggml-quants.c:
 * the functions llama-quantize runs when it has no importance matrix), so that a generated Q4_K file is the file
 * llama-quantize would make from the same f32 weights. Every float operation is rounded to single precision, as the C
 * code computes in float (Math.fround after each step). The layouts are ggml-common.h's block structs, little-endian;
 * blocks never straddle rows, so a tensor is its rows' blocks one after another.
 */

// ---- 32-value blocks with one scale ----

/** Where a Q4_x/Q5_x block keeps its packed levels, from the block's start: qs, and Q5's fifth bits qh (null in Q4). */
interface LevelLayout {
  qs: number;
  qh: number | null;
}

/**
 * Q4_0's, Q4_1's, Q5_0's and Q5_1's 32 levels: value j's low four bits and value 16+j's share byte j of qs; Q5's
 * fifth bits are bits j and 16+j of the little-endian u32 qh.
 */
function packLevels(
  level: (v: number) => number,
  x: Float32Array,
  from: number,
  out: Uint8Array,
  at: number,
  layout: LevelLayout,
): void {
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const q0 = level(x[from + j]!);
    const q1 = level(x[from + 16 + j]!);
    out[at + layout.qs + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
    qh |= ((q0 >> 4) & 1) << j;
    qh |= ((q1 >> 4) & 1) << (j + 16);
  }
  if (layout.qh !== null) new DataView(out.buffer, out.byteOffset).setUint32(at + layout.qh, qh >>> 0, true);
}

/** packLevels undone: each level through `value` into y[to..to+32). */
function unpackLevels(
  value: (q: number) => number,
  bytes: Uint8Array,
  at: number,
  layout: LevelLayout,
  y: Float32Array,
  to: number,
): void {
  const qh = layout.qh !== null ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + layout.qh, true) : 0;
  for (let j = 0; j < 16; j++) {
    const byte = bytes[at + layout.qs + j]!;
    y[to + j] = value((byte & 0x0f) | (((qh >>> j) & 1) << 4));
    y[to + 16 + j] = value((byte >> 4) | (((qh >>> (j + 16)) & 1) << 4));
  }
}

/** Q4_0 and Q5_0: value = d * (q - 2^(bits-1)), d = max / -2^(bits-1). Layout: d, (Q5_0: qh), qs. */
function symmetric(bits: 4 | 5): BlockCodec {
  const half = 1 << (bits - 1);
  const top = (1 << bits) - 1;
  const layout: LevelLayout = bits === 4 ? { qs: 2, qh: null } : { qs: 6, qh: 2 };
  return {
    encode(x, from, out, at) {
      const { max } = signedMax(x, from, 32);
      const d = f(max / -half);
      const id = d ? f(1 / d) : 0;
      putHalf(out, at, d);
      packLevels((v) => Math.min(top, Math.trunc(f(f(v * id) + (half + 0.5)))), x, from, out, at, layout);
    },
    decode(bytes, at, y, to) {
      const d = getHalf(bytes, at);
      unpackLevels((q) => (q - half) * d, bytes, at, layout, y, to);
    },
  };
}

/** Q4_1 and Q5_1: value = d * q + m, from the block's minimum and range. Layout: d, m, (Q5_1: qh), qs. */
function affine(bits: 4 | 5): BlockCodec {
  const top = (1 << bits) - 1;
  const layout: LevelLayout = bits === 4 ? { qs: 4, qh: null } : { qs: 8, qh: 4 };
  return {
    encode(x, from, out, at) {
      const { min, max } = minMax(x, from, 32);
      const d = f(f(max - min) / top);
      const id = d ? f(1 / d) : 0;
      putHalf(out, at, d);
      putHalf(out, at + 2, min);
      // Q4_1 caps at 15; Q5_1's cast to uint8 keeps the low bits.
      const level = (v: number) => {
        const q = Math.trunc(f(f(f(v - min) * id) + 0.5));
        return bits === 4 ? Math.min(top, q) : q & 0xff;
      };
      packLevels(level, x, from, out, at, layout);
    },
    decode(bytes, at, y, to) {
      const d = getHalf(bytes, at);
      const m = getHalf(bytes, at + 2);
      unpackLevels((q) => q * d + m, bytes, at, layout, y, to);
    },
  };
}

const Q8_0: BlockCodec = {
  encode(x, from, out, at) {
    const { amax } = signedMax(x, from, 32);
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    putHalf(out, at, d);
    for (let j = 0; j < 32; j++) out[at + 2 + j] = roundAway(f(x[from + j]! * id)) & 0xff;
  },
  decode(bytes, at, y, to) {
    const d = getHalf(bytes, at);
    for (let j = 0; j < 32; j++) y[to + j] = ((bytes[at + 2 + j]! << 24) >> 24) * d;
  },
};

// ---- the non-linear 4-bit formats ----

/** ggml's best_index_int8: the level nearest to x (ties to the upper one). */
function nearestLevel(x: number): number {
  const levels = IQ4_LEVELS;
  if (x <= levels[0]!) return 0;
  if (x >= levels[15]!) return 15;
  let low = 0;
  let high = 15;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (x < levels[middle]!) high = middle;
    else low = middle;
  }
  return f(x - levels[high - 1]!) < f(levels[high]! - x) ? high - 1 : high;
}

/**
 * The scale of one 32-value block over the IQ4 levels, weighted by x^2, tried at 15 starting points (llama-quantize's
 * ntry = 7); the levels chosen for the first try go to L. Returns 0 for an all-zero block.
 */
function iq4BlockScale(x: Float32Array, from: number, L: Uint8Array, at: number): number {
  const { max, amax } = signedMax(x, from, 32);
  if (amax < GROUP_MAX_EPS) return 0;
  const first = IQ4_LEVELS[0]!;
  let d = f(-max / first);
  let id = f(1 / d);
  let sumqx = 0;
  let sumq2 = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[from + j]!;
    const l = nearestLevel(f(id * v));
    L[at + j] = l;
    const q = IQ4_LEVELS[l]!;
    const w = f(v * v);
    sumqx = f(sumqx + f(f(w * q) * v));
    sumq2 = f(sumq2 + f(f(w * q) * q));
  }
  d = sumq2 > 0 ? f(sumqx / sumq2) : 0;
  let best = f(d * sumqx);
  for (let attempt = -7; attempt <= 7; attempt++) {
    id = f((attempt + first) / max);
    sumqx = 0;
    sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[from + j]!;
      const q = IQ4_LEVELS[nearestLevel(f(id * v))]!;
      const w = f(v * v);
      sumqx = f(sumqx + f(f(w * q) * v));
      sumq2 = f(sumq2 + f(f(w * q) * q));
    }
    if (sumq2 > 0 && f(sumqx * sumqx) > f(best * sumq2)) {
      d = f(sumqx / sumq2);
      best = f(d * sumqx);
    }
  }
  return d;
}

/** Packs 32 levels as IQ4 does: the first 16 in the low nibbles, the next 16 in the high ones. */
function packNibbles(L: Uint8Array, from: number, out: Uint8Array, at: number): void {
  for (let j = 0; j < 16; j++) out[at + j] = L[from + j]! | (L[from + 16 + j]! << 4);
}

const IQ4_NL: BlockCodec = {
  encode(x, from, out, at) {
    const L = new Uint8Array(32);
    const scale = iq4BlockScale(x, from, L, 0);
    putHalf(out, at, scale);
    const id = scale ? f(1 / scale) : 0;
    for (let j = 0; j < 32; j++) L[j] = nearestLevel(f(id * x[from + j]!));
    packNibbles(L, 0, out, at + 2);
  },
  decode(bytes, at, y, to) {
    const d = getHalf(bytes, at);
    for (let j = 0; j < 16; j++) {
      y[to + j] = d * IQ4_LEVELS[bytes[at + 2 + j]! & 0x0f]!;
      y[to + 16 + j] = d * IQ4_LEVELS[bytes[at + 2 + j]! >> 4]!;
    }
  },
};

/** IQ4_XS: 256 values, eight 32-value blocks, each with a 6-bit scale of the super-block's fp16 one. */
const IQ4_XS: BlockCodec = {
  encode(x, from, out, at) {
    const L = new Uint8Array(256);
    const scales = new Float32Array(8);
    for (let block = 0; block < 8; block++) scales[block] = iq4BlockScale(x, from + 32 * block, L, 32 * block);
    const { max: maxScale } = signedMax(scales, 0, 8);
    const d = f(-maxScale / 32);
    putHalf(out, at, d);
    const id = d ? f(1 / d) : 0;
    let scalesHigh = 0;
    out.fill(0, at + 4, at + 8);
    for (let block = 0; block < 8; block++) {
      const l = clamp(nearestInt(f(id * scales[block]!)), -32, 31);
      const dl = f(d * l);
      const idl = dl ? f(1 / dl) : 0;
      for (let j = 0; j < 32; j++) L[32 * block + j] = nearestLevel(f(idl * x[from + 32 * block + j]!));
      const stored = l + 32;
      out[at + 4 + (block >> 1)]! |= (stored & 0x0f) << (4 * (block & 1));
      scalesHigh |= (stored >> 4) << (2 * block);
    }
    out[at + 2] = scalesHigh & 0xff;
    out[at + 3] = scalesHigh >>> 8;
    for (let block = 0; block < 8; block++) packNibbles(L, 32 * block, out, at + 8 + 16 * block);
  },
  decode(bytes, at, y, to) {
    const d = getHalf(bytes, at);
    const scalesHigh = bytes[at + 2]! | (bytes[at + 3]! << 8);
    for (let block = 0; block < 8; block++) {
      const ls =
        ((bytes[at + 4 + (block >> 1)]! >> (4 * (block & 1))) & 0x0f) | (((scalesHigh >> (2 * block)) & 3) << 4);
      const dl = d * (ls - 32);
      for (let j = 0; j < 16; j++) {
        const byte = bytes[at + 8 + 16 * block + j]!;
        y[to + 32 * block + j] = dl * IQ4_LEVELS[byte & 0x0f]!;
        y[to + 32 * block + 16 + j] = dl * IQ4_LEVELS[byte >> 4]!;
      }
    }
  },
};

// ---- whole-value formats ----

const F16: BlockCodec = {
  encode: (x, from, out, at) => putHalf(out, at, x[from]!),
  decode: (bytes, at, y, to) => void (y[to] = getHalf(bytes, at)),
};

const BF16: BlockCodec = {
  encode(x, from, out, at) {
    const bits = toBf16(x[from]!);
    out[at] = bits & 0xff;
    out[at + 1] = bits >>> 8;
  },
  decode: (bytes, at, y, to) => void (y[to] = fromBf16(bytes[at]! | (bytes[at + 1]! << 8))),
};

const CODECS: ReadonlyMap<number, BlockCodec> = new Map<number, BlockCodec>([
  [1, F16],
  [2, symmetric(4)],
  [3, affine(4)],
  [6, symmetric(5)],
  [7, affine(5)],
  [8, Q8_0],
  [12, kQuant(4)],
  [13, kQuant(5)],
  [14, Q6_K],
  [20, IQ4_NL],
  [23, IQ4_XS],
  [30, BF16],
]);

/** The ggml types this module can write (besides F32, which needs no encoding). */
export const WRITABLE_TYPES: readonly number[] = [0, ...CODECS.keys()];

function codecOf(type: number): { codec: BlockCodec; blockSize: number; typeSize: number } {
  const codec = CODECS.get(type);
  const info = GGML_TYPES.get(type);
  if (!codec || !info) throw new Error(`ggml type ${info?.name ?? type} cannot be written`);
  return { codec, blockSize: info.blockSize, typeSize: info.typeSize };
}

/** Encodes float values (whole rows, each a multiple of the type's block size) as ggml type `type`. */
export function quantize(type: number, values: Float32Array): Uint8Array {
  if (type === 0) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const { codec, blockSize, typeSize } = codecOf(type);
  if (values.length % blockSize !== 0) throw new Error(`${values.length} values are not whole blocks of ${blockSize}`);
  const blocks = values.length / blockSize;
  const out = new Uint8Array(blocks * typeSize);
  for (let block = 0; block < blocks; block++) codec.encode(values, block * blockSize, out, block * typeSize);
  return out;
}

/** Decodes `count` values of ggml type `type` back to floats, as ggml's dequantize_row functions do. */
export function dequantize(type: number, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  if (type === 0) {
    out.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * 4)));
    return out;
  }
  const { codec, blockSize, typeSize } = codecOf(type);
  for (let block = 0; block < count / blockSize; block++) codec.decode(bytes, block * typeSize, out, block * blockSize);
  return out;
}
