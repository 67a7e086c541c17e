import { GIB } from './board.js';
import type { Role } from './instances.js';

/**
 * A RAM limit against what its instance needs, in figures that never read the same: a refusal that says "needs
 * 0.1 GB, more than its limit of 0.1 GB" tells the operator nothing. The need is rounded up and the limit down, with
 * as many decimals as it takes for the two to differ. Host and panel word it alike, from the same numbers.
 */

/** Past this many decimals two figures that still read the same differ by less than a kilobyte. */
const MOST_DECIMALS = 6;
/** Keeps a limit typed as 0.1 from being floored to 0.0 through the binary fraction 0.1 * 2^30 / 2^30 rounds to. */
const EPSILON = 1e-9;

/**
 * `lower` rounded down and `higher` rounded up, in GB, with the fewest decimals that tell them apart and give the
 * higher two significant digits (0.104 GB reads 0.11, not 0.2: rounding up must not double a need).
 */
export function gbApart(lower: number, higher: number): { lower: string; higher: string } {
  const first = higher > 0 ? Math.max(1, 1 - Math.floor(Math.log10(higher / GIB))) : 1;
  for (let decimals = Math.min(first, MOST_DECIMALS); ; decimals++) {
    const scale = 10 ** decimals;
    const low = Math.floor((lower / GIB) * scale + EPSILON) / scale;
    const high = Math.ceil((higher / GIB) * scale - EPSILON) / scale;
    if (low < high || decimals >= MOST_DECIMALS) {
      return { lower: `${low.toFixed(decimals)} GB`, higher: `${high.toFixed(decimals)} GB` };
    }
  }
}

/** Why a RAM limit is refused, or null when it holds what its instance needs at the least. */
export function limitBelowNeed(role: Role, limitBytes: number, leastBytes: number | null): string | null {
  if (leastBytes === null || limitBytes >= leastBytes) return null;
  const { lower, higher } = gbApart(limitBytes, leastBytes);
  return `${role}'s RAM limit of ${lower} is below the ${higher} its model needs at the least`;
}
