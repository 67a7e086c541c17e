import {
  f,
  GROUP_MAX_EPS,
  nearestInt,
  clamp,
  candidate,
  putHalf,
  getHalf,
  signedMax,
  type BlockCodec,
} from './quantMath.js';

/** llama.cpp's k-quants (ggml-quants.c): 256-value super-blocks of Q4_K, Q5_K and Q6_K, as its reference quantizer writes them. */
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
export function kQuant(bits: 4 | 5): BlockCodec {
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
export const Q6_K: BlockCodec = {
  encode(x, from, out, at) {
    const L = new Uint8Array(256);
    const scales = new Float32Array(16);
    for (let group = 0; group < 16; group++) scales[group] = signedScale(x, from + 16 * group, 16, 32, L, 16 * group);
    const { max: maxScale, amax: maxAbsScale } = signedMax(scales, 0, 16);
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
