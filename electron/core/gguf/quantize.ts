import { GGML_TYPES } from './ggmlTypes.js';

/**
 * ggml's block formats, written from float weights the way llama.cpp's reference quantizer writes them (ggml-quants.c:
 * the functions llama-quantize runs when it has no importance matrix), so that a generated Q4_K file is the file
 * llama-quantize would make from the same f32 weights. Every float operation is rounded to single precision, as the C
 * code computes in float (Math.fround after each step). The layouts are ggml-common.h's block structs, little-endian;
 * blocks never straddle rows, so a tensor is its rows' blocks one after another.
 */

const f = Math.fround;

/** Block and dequantization of one ggml type: `encode` writes the block of x[from..] at out[at..]. */
interface BlockCodec {
  encode(x: Float32Array, from: number, out: Uint8Array, at: number): void;
  decode(bytes: Uint8Array, at: number, y: Float32Array, to: number): void;
}

/** IQ4_NL's and IQ4_XS's 16 levels (ggml-common.h). */
export const IQ4_LEVELS: readonly number[] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
/** ggml treats a group whose largest magnitude is under this as all zeros. */
const GROUP_MAX_EPS = f(1e-15);
const ROUNDER = 12582912; // 1.5 * 2^23: adding it rounds a float to an integer, to nearest even

/** ggml's nearest_int: round to nearest, ties to even, through float addition. */
function nearestInt(value: number): number {
  return f(value + ROUNDER) - ROUNDER;
}

/** C's roundf: ties away from zero. */
function roundAway(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

const clamp = (value: number, low: number, high: number) => (value < low ? low : value > high ? high : value);
/** Scratch for the candidate levels of scaleAndMin (one call at a time: this module is synchronous). */
const candidate = new Uint8Array(32);

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Converts a float32 to IEEE half precision, rounding to nearest even, as ggml's fp32 -> fp16 does. */
export function toHalf(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00;
  // Normal halves keep 10 of the 23 mantissa bits; subnormal ones shift the implicit 1 in as well.
  const full = exponent > 0 ? mantissa : mantissa | 0x800000;
  const shift = exponent > 0 ? 13 : 14 - exponent;
  if (shift > 24) return sign;
  const kept = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  const base = exponent > 0 ? sign | (exponent << 10) | kept : sign | kept;
  // A carry out of the mantissa correctly bumps the exponent.
  return rest > halfway || (rest === halfway && (kept & 1) === 1) ? base + 1 : base;
}

export function fromHalf(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** ggml's fp32 -> bf16: round to nearest even; a NaN stays a (quiet) NaN. */
export function toBf16(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 64) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBf16(bits: number): number {
  scratchBits[0] = bits << 16;
  return scratch[0]!;
}

const putHalf = (out: Uint8Array, at: number, value: number) => {
  const half = toHalf(value);
  out[at] = half & 0xff;
  out[at + 1] = half >>> 8;
};
const getHalf = (bytes: Uint8Array, at: number) => fromHalf(bytes[at]! | (bytes[at + 1]! << 8));

/** The value of largest magnitude in x[from..from+n) (the first such, with its sign), and that magnitude. */
function signedMax(x: Float32Array, from: number, n: number): { max: number; amax: number } {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = x[from + j]!;
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return { max, amax };
}

function minMax(x: Float32Array, from: number, n: number): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = x[from + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

// ---- 32-value blocks with one scale ----

/** Q4_0 and Q5_0: value = d * (q - 2^(bits-1)), d = max / -2^(bits-1). */
function symmetric(bits: 4 | 5): BlockCodec {
  const half = 1 << (bits - 1);
  const top = (1 << bits) - 1;
  const qsAt = bits === 4 ? 2 : 6;
  return {
    encode(x, from, out, at) {
      const { max } = signedMax(x, from, 32);
      const d = f(max / -half);
      const id = d ? f(1 / d) : 0;
      putHalf(out, at, d);
      let qh = 0;
      for (let j = 0; j < 16; j++) {
        const q0 = Math.min(top, Math.trunc(f(f(x[from + j]! * id) + (half + 0.5))));
        const q1 = Math.min(top, Math.trunc(f(f(x[from + 16 + j]! * id) + (half + 0.5))));
        out[at + qsAt + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
        qh |= ((q0 >> 4) & 1) << j;
        qh |= ((q1 >> 4) & 1) << (j + 16);
      }
      if (bits === 5) new DataView(out.buffer, out.byteOffset).setUint32(at + 2, qh >>> 0, true);
    },
    decode(bytes, at, y, to) {
      const d = getHalf(bytes, at);
      const qh = bits === 5 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 2, true) : 0;
      for (let j = 0; j < 16; j++) {
        const byte = bytes[at + qsAt + j]!;
        y[to + j] = (((byte & 0x0f) | (((qh >>> j) & 1) << 4)) - half) * d;
        y[to + 16 + j] = (((byte >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - half) * d;
      }
    },
  };
}

/** Q4_1 and Q5_1: value = d * q + m, from the block's minimum and range. */
function affine(bits: 4 | 5): BlockCodec {
  const top = (1 << bits) - 1;
  const qsAt = bits === 4 ? 4 : 8;
  return {
    encode(x, from, out, at) {
      const { min, max } = minMax(x, from, 32);
      const d = f(f(max - min) / top);
      const id = d ? f(1 / d) : 0;
      putHalf(out, at, d);
      putHalf(out, at + 2, min);
      let qh = 0;
      for (let j = 0; j < 16; j++) {
        // Q4_1 caps at 15; Q5_1's cast to uint8 keeps the low bits.
        const level = (v: number) => {
          const q = Math.trunc(f(f(f(v - min) * id) + 0.5));
          return bits === 4 ? Math.min(top, q) : q & 0xff;
        };
        const q0 = level(x[from + j]!);
        const q1 = level(x[from + 16 + j]!);
        out[at + qsAt + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
        qh |= ((q0 >> 4) & 1) << j;
        qh |= ((q1 >> 4) & 1) << (j + 16);
      }
      if (bits === 5) new DataView(out.buffer, out.byteOffset).setUint32(at + 4, qh >>> 0, true);
    },
    decode(bytes, at, y, to) {
      const d = getHalf(bytes, at);
      const m = getHalf(bytes, at + 2);
      const qh = bits === 5 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 4, true) : 0;
      for (let j = 0; j < 16; j++) {
        const byte = bytes[at + qsAt + j]!;
        y[to + j] = ((byte & 0x0f) | (((qh >>> j) & 1) << 4)) * d + m;
        y[to + 16 + j] = ((byte >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
      }
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
    let maxScale = 0;
    let amaxScale = 0;
    for (let block = 0; block < 8; block++) {
      const scale = iq4BlockScale(x, from + 32 * block, L, 32 * block);
      scales[block] = scale;
      if (Math.abs(scale) > amaxScale) {
        amaxScale = Math.abs(scale);
        maxScale = scale;
      }
    }
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

// ---- k-quants: 256-value super-blocks ----

/**
 * ggml's make_qkx2_quants: levels 0..nmax with a scale and a minimum for n values, by weighted least squares over
 * nstep + 1 candidate scales. Writes the levels to L[at..]; returns the scale and the (positive) minimum.
 */
function scaleAndMin(
  x: Float32Array,
  from: number,
  weights: Float32Array,
  nmax: number,
  L: Uint8Array,
  at: number,
  rmin: number,
  rdelta: number,
  nstep: number,
): { scale: number; min: number } {
  const n = weights.length;
  let min = x[from]!;
  let max = x[from]!;
  let sumW = weights[0]!;
  let sumX = f(sumW * x[from]!);
  for (let i = 1; i < n; i++) {
    const v = x[from + i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sumW = f(sumW + weights[i]!);
    sumX = f(sumX + f(weights[i]! * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, at, at + n);
    return { scale: 0, min: -min };
  }
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = clamp(nearestInt(f(iscale * f(x[from + i]! - min))), 0, nmax);
    L[at + i] = l;
    const diff = f(f(f(scale * l) + min) - x[from + i]!);
    bestError = f(bestError + f(weights[i]! * f(diff * diff)));
  }
  const aux = candidate;
  for (let step = 0; step <= nstep; step++) {
    // max - min, not the range before the loop: a better fit moves the minimum the next candidates start from.
    iscale = f(f(f(rmin + f(rdelta * step)) + nmax) / f(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = clamp(nearestInt(f(iscale * f(x[from + i]! - min))), 0, nmax);
      aux[i] = l;
      const wl = f(weights[i]! * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * x[from + i]!));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (!(D > 0)) continue;
    let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
    let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = f(sumXL / sumL2);
    }
    let error = 0;
    for (let i = 0; i < n; i++) {
      const diff = f(f(f(thisScale * aux[i]!) + thisMin) - x[from + i]!);
      error = f(error + f(weights[i]! * f(diff * diff)));
    }
    if (error < bestError) {
      for (let i = 0; i < n; i++) L[at + i] = aux[i]!;
      bestError = error;
      scale = thisScale;
      min = thisMin;
    }
  }
  return { scale, min: -min };
}

/** The 6-bit scale and minimum of sub-block j, from Q4_K's and Q5_K's 12 packed bytes at `at`. */
function scaleMinK4(j: number, q: Uint8Array, at: number): { sc: number; m: number } {
  if (j < 4) return { sc: q[at + j]! & 63, m: q[at + j + 4]! & 63 };
  return {
    sc: (q[at + j + 4]! & 0x0f) | ((q[at + j - 4]! >> 6) << 4),
    m: (q[at + j + 4]! >> 4) | ((q[at + j]! >> 6) << 4),
  };
}

/**
 * Q4_K and Q5_K share everything but the level count and the bit packing: eight 32-value sub-blocks, each with a
 * 6-bit scale and minimum of the super-block's fp16 d and dmin. Layout: d, dmin, scales[12], (Q5_K: qh[32]), qs[128].
 */
function kQuant(bits: 4 | 5): BlockCodec {
  const nmax = (1 << bits) - 1;
  const rmin = bits === 4 ? -1 : -0.5;
  const nstep = bits === 4 ? 20 : 15;
  const qsAt = bits === 4 ? 16 : 48;
  return {
    encode(x, from, out, at) {
      const L = new Uint8Array(256);
      const weights = new Float32Array(32);
      const scales = new Float32Array(8);
      const mins = new Float32Array(8);
      let maxScale = 0;
      let maxMin = 0;
      for (let j = 0; j < 8; j++) {
        let sumX2 = 0;
        for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[from + 32 * j + l]! * x[from + 32 * j + l]!));
        const average = f(Math.sqrt(f(sumX2 / 32)));
        for (let l = 0; l < 32; l++) weights[l] = f(average + Math.abs(x[from + 32 * j + l]!));
        const { scale, min } = scaleAndMin(x, from + 32 * j, weights, nmax, L, 32 * j, rmin, f(0.1), nstep);
        scales[j] = scale;
        mins[j] = min;
        if (scales[j]! > maxScale) maxScale = scales[j]!;
        if (mins[j]! > maxMin) maxMin = mins[j]!;
      }
      const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
      const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
      const sc = at + 4;
      out.fill(0, sc, sc + 12);
      for (let j = 0; j < 8; j++) {
        const ls = Math.min(63, nearestInt(f(invScale * scales[j]!)) & 0xff);
        const lm = Math.min(63, nearestInt(f(invMin * mins[j]!)) & 0xff);
        if (j < 4) {
          out[sc + j] = ls;
          out[sc + j + 4] = lm;
        } else {
          out[sc + j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
          out[sc + j - 4]! |= (ls >> 4) << 6;
          out[sc + j]! |= (lm >> 4) << 6;
        }
      }
      putHalf(out, at, f(maxScale / 63));
      putHalf(out, at + 2, f(maxMin / 63));
      const dAll = getHalf(out, at);
      const dminAll = getHalf(out, at + 2);
      for (let j = 0; j < 8; j++) {
        const { sc: s, m } = scaleMinK4(j, out, sc);
        const d = f(dAll * s);
        if (!d) continue;
        const dm = f(dminAll * m);
        for (let i = 0; i < 32; i++) L[32 * j + i] = clamp(nearestInt(f(f(x[from + 32 * j + i]! + dm) / d)), 0, nmax);
      }
      if (bits === 5) out.fill(0, at + 16, at + 48);
      for (let chunk = 0; chunk < 4; chunk++) {
        for (let l = 0; l < 32; l++) {
          let low = L[64 * chunk + l]!;
          let high = L[64 * chunk + 32 + l]!;
          if (bits === 5) {
            if (low > 15) {
              low -= 16;
              out[at + 16 + l]! |= 1 << (2 * chunk);
            }
            if (high > 15) {
              high -= 16;
              out[at + 16 + l]! |= 2 << (2 * chunk);
            }
          }
          out[at + qsAt + 32 * chunk + l] = low | (high << 4);
        }
      }
    },
    decode(bytes, at, y, to) {
      const d = getHalf(bytes, at);
      const dmin = getHalf(bytes, at + 2);
      for (let chunk = 0; chunk < 4; chunk++) {
        const first = scaleMinK4(2 * chunk, bytes, at + 4);
        const second = scaleMinK4(2 * chunk + 1, bytes, at + 4);
        for (let l = 0; l < 32; l++) {
          const byte = bytes[at + qsAt + 32 * chunk + l]!;
          const qh = bits === 5 ? bytes[at + 16 + l]! : 0;
          const low = (byte & 0x0f) + ((qh >> (2 * chunk)) & 1) * 16;
          const high = (byte >> 4) + ((qh >> (2 * chunk + 1)) & 1) * 16;
          y[to + 64 * chunk + l] = d * first.sc * low - dmin * first.m;
          y[to + 64 * chunk + 32 + l] = d * second.sc * high - dmin * second.m;
        }
      }
    },
  };
}

/**
 * ggml's make_qx_quants with rmse_type 1 (weights x^2), for Q6_K's 16-value groups: signed levels -nmax..nmax-1,
 * stored as level + nmax in L[at..]; returns the scale (negative when the largest value is positive).
 */
function signedScale(x: Float32Array, from: number, n: number, nmax: number, L: Uint8Array, at: number): number {
  const { max, amax } = signedMax(x, from, n);
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, at, at + n);
    return 0;
  }
  const sums = (iscale: number, store: boolean) => {
    let sumlx = 0;
    let suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[from + i]!;
      const l = clamp(nearestInt(f(iscale * v)), -nmax, nmax - 1);
      if (store) L[at + i] = l + nmax;
      const w = f(v * v);
      sumlx = f(sumlx + f(f(w * v) * l));
      suml2 = f(suml2 + f(f(w * l) * l));
    }
    return { sumlx, suml2 };
  };
  const first = sums(f(-nmax / max), true);
  let scale = first.suml2 ? f(first.sumlx / first.suml2) : 0;
  let best = f(scale * first.sumlx);
  for (let step = -9; step <= 9; step++) {
    if (step === 0) continue;
    const iscale = f(-f(nmax + f(f(0.1) * step)) / max);
    const { sumlx, suml2 } = sums(iscale, false);
    if (suml2 > 0 && f(sumlx * sumlx) > f(best * suml2)) {
      sums(iscale, true);
      scale = f(sumlx / suml2);
      best = f(scale * sumlx);
    }
  }
  return scale;
}

/** Q6_K: sixteen 16-value groups with int8 scales of one fp16 d. Layout: ql[128], qh[64], scales[16], d. */
const Q6_K: BlockCodec = {
  encode(x, from, out, at) {
    const L = new Uint8Array(256);
    const scales = new Float32Array(16);
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let group = 0; group < 16; group++) {
      const scale = signedScale(x, from + 16 * group, 16, 32, L, 16 * group);
      scales[group] = scale;
      if (Math.abs(scale) > maxAbsScale) {
        maxAbsScale = Math.abs(scale);
        maxScale = scale;
      }
    }
    out.fill(0, at, at + 210);
    if (maxAbsScale < GROUP_MAX_EPS) return;
    const iscale = f(-128 / maxScale);
    putHalf(out, at + 208, f(1 / iscale));
    const dAll = getHalf(out, at + 208);
    for (let group = 0; group < 16; group++) {
      out[at + 192 + group] = Math.min(127, nearestInt(f(iscale * scales[group]!))) & 0xff;
    }
    for (let group = 0; group < 16; group++) {
      const d = f(dAll * ((out[at + 192 + group]! << 24) >> 24));
      if (!d) continue;
      for (let i = 0; i < 16; i++) {
        L[16 * group + i] = clamp(nearestInt(f(x[from + 16 * group + i]! / d)), -32, 31) + 32;
      }
    }
    for (let half = 0; half < 2; half++) {
      const base = 128 * half;
      for (let l = 0; l < 32; l++) {
        const [q1, q2, q3, q4] = [L[base + l]!, L[base + l + 32]!, L[base + l + 64]!, L[base + l + 96]!];
        out[at + 64 * half + l] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
        out[at + 64 * half + l + 32] = (q2 & 0x0f) | ((q4 & 0x0f) << 4);
        out[at + 128 + 32 * half + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
      }
    }
  },
  decode(bytes, at, y, to) {
    const d = getHalf(bytes, at + 208);
    const scale = (group: number) => (bytes[at + 192 + group]! << 24) >> 24;
    for (let half = 0; half < 2; half++) {
      for (let l = 0; l < 32; l++) {
        const ql0 = bytes[at + 64 * half + l]!;
        const ql1 = bytes[at + 64 * half + l + 32]!;
        const qh = bytes[at + 128 + 32 * half + l]!;
        const group = 8 * half + (l >> 4);
        y[to + 128 * half + l] = d * scale(group) * (((ql0 & 0x0f) | ((qh & 3) << 4)) - 32);
        y[to + 128 * half + l + 32] = d * scale(group + 2) * (((ql1 & 0x0f) | (((qh >> 2) & 3) << 4)) - 32);
        y[to + 128 * half + l + 64] = d * scale(group + 4) * (((ql0 >> 4) | (((qh >> 4) & 3) << 4)) - 32);
        y[to + 128 * half + l + 96] = d * scale(group + 6) * (((ql1 >> 4) | (((qh >> 6) & 3) << 4)) - 32);
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
