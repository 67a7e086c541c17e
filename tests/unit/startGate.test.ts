import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NO_GPU, type BoardResources } from '../../shared/board.js';
import type { InstanceState, Role } from '../../shared/instances.js';
import type { InstancePlan, PlanOutcome } from '../../shared/plan.js';
import { StartGate, type LaunchConfig } from '../../electron/core/instance/startGate.js';

const resources = { gpu: NO_GPU } as unknown as BoardResources;
const planned = (role: Role) => ({ instance: role, modelPath: `/m/${role}.gguf` }) as unknown as InstancePlan;
const okPlan = (roles: Role[]): PlanOutcome => ({ ok: true, plan: { instances: roles.map(planned) } }) as PlanOutcome;

function gate(options: { memory?: () => string | null; plan?: () => PlanOutcome; states?: Map<Role, InstanceState> }) {
  const states = options.states ?? new Map<Role, InstanceState>();
  return new StartGate({
    memoryHold: options.memory ?? (() => null),
    plan: options.plan ?? (() => okPlan(['SUBJECT', 'OBSERVER', 'GOD'])),
    configFor: (plan) => ({ modelPath: plan.modelPath }) as LaunchConfig,
    admission: true,
    states: () => states,
    waiting: () => new Set([...states].filter(([, state]) => state === 'waiting').map(([role]) => role)),
  });
}

describe('start gate', () => {
  it('lets an instance load when memory, plan and admission allow, with its planned model', () => {
    const result = gate({}).check('SUBJECT');
    assert.deepEqual(result, { ok: true, config: { modelPath: '/m/SUBJECT.gguf' } });
  });

  it('holds every start while memory is above the warn level, whatever the plan', () => {
    const result = gate({ memory: () => 'memory at 75.0%, above the warn level of 70%' }).check('SUBJECT');
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.hold && /warn level/.test(result.error.message));
  });

  it('waits on a plan the operator can fix, and refuses a bad model file', () => {
    const failing = (code: 'BUDGET_EXCEEDED' | 'MODEL_TOO_LARGE' | 'PLAN_DOES_NOT_FIT' | 'MODEL_INVALID') =>
      gate({ plan: () => ({ ok: false, resources, error: { code, message: code } }) }).check('SUBJECT');
    for (const code of ['BUDGET_EXCEEDED', 'MODEL_TOO_LARGE', 'PLAN_DOES_NOT_FIT'] as const) {
      const result = failing(code);
      assert.ok(!result.ok && result.hold, code);
    }
    const invalid = failing('MODEL_INVALID');
    assert.ok(!invalid.ok && !invalid.hold && invalid.error.code === 'MODEL_INVALID');
  });

  it('gives the loading slot to one instance at a time, and the next once it settles', () => {
    const states = new Map<Role, InstanceState>([
      ['SUBJECT', 'stopped'],
      ['OBSERVER', 'stopped'],
    ]);
    const subject = gate({ states });
    assert.equal(subject.check('SUBJECT').ok, true);
    states.set('SUBJECT', 'loading');
    const observer = subject.check('OBSERVER');
    assert.ok(!observer.ok && observer.hold && observer.error.message === 'SUBJECT is still loading');
    states.set('SUBJECT', 'thinking');
    subject.settled('SUBJECT', 'thinking');
    assert.equal(subject.check('OBSERVER').ok, true);
  });

  it('wakes the held when something changes, not on a timer', async () => {
    let memory: string | null = 'memory at 75.0%, above the warn level of 70%';
    const held = gate({ memory: () => memory });
    let woken = 0;
    const wait = held.changed().then(() => woken++);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(woken, 0, 'nothing changed: still waiting');
    memory = null;
    held.recheck();
    await wait;
    assert.equal(woken, 1);
    assert.equal(held.check('SUBJECT').ok, true);
  });
});
