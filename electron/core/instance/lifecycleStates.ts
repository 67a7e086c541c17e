import type { InstanceState } from '../../../shared/instances.js';

/**
 * Every move an instance may make, and nothing else. The usual life:
 *   stopped -> loading -> thinking -> dying (a kill or a stop) -> dead -> resurrecting -> loading -> ...
 * A worker that dies by itself goes from loading or thinking straight to dead; a stop ends in stopped from anywhere
 * (through dying while a worker runs). A start or a resurrection goes through `waiting` only when it is held (memory
 * above warn, admission, a plan that does not fit yet). A refused start (a bad model file) stays in `stopped` when
 * the operator asked for it; a resurrection refused so, or a worker whose failure would only happen again (context
 * too small, unknown architecture, the same crash twice before a first reflection) ends in `blocked`: no death, no
 * retry until something changes.
 */
export const TRANSITIONS: Readonly<Record<InstanceState, readonly InstanceState[]>> = {
  stopped: ['waiting', 'loading', 'stopped'],
  waiting: ['waiting', 'loading', 'stopped', 'blocked'],
  loading: ['thinking', 'dying', 'dead', 'blocked'],
  thinking: ['dying', 'dead', 'blocked'],
  // A kill during a stop: the operator's SIGKILL cuts the grace short, and the exit is a death.
  dying: ['dying', 'dead', 'stopped'],
  dead: ['resurrecting', 'waiting', 'loading', 'stopped'],
  resurrecting: ['waiting', 'loading', 'stopped', 'blocked'],
  // Needs the operator: a failure that would only happen again. Start, a settings change or a changed file retry.
  blocked: ['waiting', 'loading', 'stopped', 'blocked'],
};

export class IllegalTransition extends Error {
  constructor(
    readonly from: InstanceState,
    readonly to: InstanceState,
  ) {
    super(`an instance cannot go from ${from} to ${to}`);
  }
}

export function canMove(from: InstanceState, to: InstanceState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The state after a move; throws IllegalTransition for a move the table does not have. */
export function move(from: InstanceState, to: InstanceState): InstanceState {
  if (!canMove(from, to)) throw new IllegalTransition(from, to);
  return to;
}
