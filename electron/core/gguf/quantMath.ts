/**
 * The arithmetic ggml's reference quantizer does, in single precision as its C code does (Math.fround after each
 * step): rounding, fp16 and bf16, and the block codec's shape. Shared by the block formats (quantize.ts) and the
 * k-quants (kQuants.ts).
 */
export const f = Math.fround;

/** Block and dequantization of one ggml type: `encode` writes the block of x[from..] at out[at..]. */
export interface BlockCodec {
  encode(x: Float32Array, from: number, out: Uint8Array, at: number): void;
  decode(bytes: Uint8Array, at: number, y: Float32Array, to: number): void;
}

/** IQ4_NL's and IQ4_XS's 16 levels (ggml-common.h). */
export const IQ4_LEVELS: readonly number[] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
/** ggml treats a group whose largest magnitude is under this as all zeros. */
export const GROUP_MAX_EPS = f(1e-15);
export const ROUNDER = 12582912; // 1.5 * 2^23: adding it rounds a float to an integer, to nearest even

/** ggml's nearest_int: round to nearest, ties to even, through float addition. */
export function nearestInt(value: number): number {
  return f(value + ROUNDER) - ROUNDER;
}

/** C's roundf: ties away from zero. */
export function roundAway(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

export const clamp = (value: number, low: number, high: number) => (value < low ? low : value > high ? high : value);
/** Scratch for the candidate levels of scaleAndMin (one call at a time: this module is synchronous). */
export const candidate = new Uint8Array(32);

export const scratch = new Float32Array(1);
export const scratchBits = new Uint32Array(scratch.buffer);

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

export const putHalf = (out: Uint8Array, at: number, value: number) => {
  const half = toHalf(value);
  out[at] = half & 0xff;
  out[at + 1] = half >>> 8;
};
export const getHalf = (bytes: Uint8Array, at: number) => fromHalf(bytes[at]! | (bytes[at + 1]! << 8));

/** The value of largest magnitude in x[from..from+n) (the first such, with its sign), and that magnitude. */
export function signedMax(x: Float32Array, from: number, n: number): { max: number; amax: number } {
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

export function minMax(x: Float32Array, from: number, n: number): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = x[from + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
