import { formatGb, GIB } from '../../../shared/board.js';
import type { Role } from '../../../shared/instances.js';

/**
 * The RAM budget of the board: what the instances' limits may add up to. The system keeps a reserve (default the
 * larger of 2 GB and a quarter of the RAM: on a 32 GB Jetson that is the original's MemoryMax=24G).
 */

/** The original's conservative limits on a 32 GB board, scaled to the board at hand by default. */
export const SEED_LIMITS_GB: Record<Role, number> = { SUBJECT: 6, OBSERVER: 7, GOD: 7 };
const SEED_BOARD_BYTES = 32 * GIB;

export function defaultReserveBytes(ramTotalBytes: number): number {
  return Math.max(2 * GIB, ramTotalBytes * 0.25);
}

/** A role's default RAM limit on this board, rounded down to a tenth of a GB. */
export function defaultRamLimitBytes(role: Role, ramTotalBytes: number): number {
  const scaled = SEED_LIMITS_GB[role] * (ramTotalBytes / SEED_BOARD_BYTES);
  return (Math.floor(scaled * 10) / 10) * GIB;
}

export type BudgetCheck = { ok: true } | { ok: false; message: string };

/** The limits of the instances that will run, plus the reserve, must fit in the board's RAM. */
export function checkRamBudget(limits: readonly number[], ramTotalBytes: number, reserveBytes: number): BudgetCheck {
  const total = limits.reduce((sum, limit) => sum + limit, 0);
  const allowed = ramTotalBytes - reserveBytes;
  if (total <= allowed + 1) return { ok: true };
  return {
    ok: false,
    message:
      `RAM limits total ${formatGb(total)}; this board has ${formatGb(ramTotalBytes)} and keeps ` +
      `${formatGb(reserveBytes)} for the system, so at most ${formatGb(allowed)}`,
  };
}
