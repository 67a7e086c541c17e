import { ROLES, type InstanceState, type Role } from '../../../shared/instances.js';

/**
 * Admission, not a fixed stagger: one instance loads at a time, in role order, and the next begins only when the
 * previous one has loaded (memory settling under the warn level is the watchdog's hold, checked first). Three load
 * spikes never coincide.
 */
export class Admission {
  private loading: Role | null = null;

  /** Why `role` may not begin loading now, or null after granting it the loading slot. */
  request(role: Role, states: ReadonlyMap<Role, InstanceState>, waiting: ReadonlySet<Role>): string | null {
    if (this.loading !== null && this.loading !== role) {
      const state = states.get(this.loading);
      if (state === 'loading' || state === 'resurrecting') return `${this.loading} is still loading`;
      this.loading = null;
    }
    const before = ROLES.slice(0, ROLES.indexOf(role)).find((earlier) => waiting.has(earlier));
    if (before) return `${before} starts first`;
    this.loading = role;
    return null;
  }

  /** The instance left the loading state (loaded, stopped or dead): the slot is free. */
  settled(role: Role, state: InstanceState): void {
    if (this.loading === role && state !== 'loading' && state !== 'resurrecting' && state !== 'waiting') {
      this.loading = null;
    }
  }
}
