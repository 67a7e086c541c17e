import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { INSTANCE_STATES, type InstanceState } from '../../shared/instances.js';
import { canMove, IllegalTransition, move, TRANSITIONS } from '../../electron/core/instance/lifecycleStates.js';

describe('instance states and moves', () => {
  it('has a row for every state the panel can show, and names only known states', () => {
    assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...INSTANCE_STATES].sort());
    for (const targets of Object.values(TRANSITIONS)) {
      for (const target of targets) assert.ok(INSTANCE_STATES.includes(target), target);
    }
  });

  it('allows the usual life: start, load, think, be killed, die, come back', () => {
    const life: InstanceState[] = ['stopped', 'loading', 'thinking', 'dying', 'dead', 'resurrecting', 'loading'];
    let state = life[0]!;
    for (const next of life.slice(1)) state = move(state, next);
    assert.equal(state, 'loading');
  });

  it('lets a worker that dies by itself go straight to dead, and a held start wait first', () => {
    assert.ok(canMove('thinking', 'dead'));
    assert.ok(canMove('loading', 'dead'));
    assert.ok(canMove('stopped', 'waiting'));
    assert.ok(canMove('resurrecting', 'waiting'));
    assert.ok(canMove('waiting', 'loading'));
  });

  it('refuses moves that skip the process: thinking without loading, a dead mind thinking, stopping a running worker without dying', () => {
    for (const [from, to] of [
      ['stopped', 'thinking'],
      ['waiting', 'thinking'],
      ['dead', 'thinking'],
      ['thinking', 'stopped'],
      ['loading', 'stopped'],
      ['thinking', 'loading'],
      ['dying', 'thinking'],
      ['stopped', 'dead'],
    ] as Array<[InstanceState, InstanceState]>) {
      assert.equal(canMove(from, to), false, `${from} -> ${to}`);
      assert.throws(
        () => move(from, to),
        (error: unknown) => {
          assert.ok(error instanceof IllegalTransition);
          assert.match(error.message, new RegExp(`from ${from} to ${to}`));
          return true;
        },
      );
    }
  });
});
