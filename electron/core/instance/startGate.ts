import type { InstanceError, InstanceState, Role } from '../../../shared/instances.js';
import type { InstancePlan, PlanOutcome } from '../../../shared/plan.js';
import type { GenerationSettings, LoadPlan } from '../../worker/protocol.js';
import { Admission } from '../matrix/admission.js';
import { PLAN_ERROR_POLICY } from '../planner/planErrorPolicy.js';

/** What an instance needs to know at each start; made fresh every time, so settings changes apply on next start. */
export interface LaunchConfig {
  modelPath: string;
  demo: boolean;
  plan: LoadPlan;
  generation: GenerationSettings;
  /** Pause between two reflections, ms. */
  thinkPauseMs: number;
}

/**
 * A launch config, or why the instance cannot start now. A held start (memory above the warn level, a plan that does
 * not fit yet, another instance loading) waits for the gate to change; a refused one (a bad model file) stops.
 */
export type LaunchResult = { ok: true; config: LaunchConfig } | { ok: false; error: InstanceError; hold: boolean };

export interface GateInputs {
  /** Why nothing may start now (memory above the warn level, from the watchdog's latest sample), or null. */
  memoryHold(): string | null;
  plan(): PlanOutcome;
  /** The launch config of a planned instance. */
  configFor(planned: InstancePlan): LaunchConfig;
  /** Matrix: one load at a time (off only to compare). */
  admission: boolean;
  /** Every instance's state, and which are waiting at the gate. */
  states(): ReadonlyMap<Role, InstanceState>;
  waiting(): ReadonlySet<Role>;
}

/**
 * The one place that says whether an instance may begin loading now, in this order: memory under the warn level, a
 * plan that holds it, then admission's loading slot (last, so the slot goes only to an instance that loads now).
 * An instance that is held awaits `changed()`, which resolves on the next thing that can open the gate (a sample,
 * a new plan, another instance settling): no timer polls it.
 */
export class StartGate {
  private readonly admission = new Admission();
  private waiters: Array<() => void> = [];

  constructor(private readonly inputs: GateInputs) {}

  check(role: Role): LaunchResult {
    const held = this.inputs.memoryHold();
    if (held) return { ok: false, hold: true, error: { code: 'HELD', message: held } };
    const plan = this.inputs.plan();
    if (!plan.ok) {
      const hold = PLAN_ERROR_POLICY[plan.error.code].instance === 'wait';
      return { ok: false, hold, error: { code: plan.error.code, message: plan.error.message } };
    }
    const planned = plan.plan.instances.find((instance) => instance.instance === role);
    if (!planned)
      return { ok: false, hold: false, error: { code: 'BAD_STATE', message: `${role} is not in the plan` } };
    if (this.inputs.admission) {
      const reason = this.admission.request(role, this.inputs.states(), this.inputs.waiting());
      if (reason) return { ok: false, hold: true, error: { code: 'HELD', message: reason } };
    }
    return { ok: true, config: this.inputs.configFor(planned) };
  }

  /** Resolves when something the gate depends on has changed. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Something the gate depends on changed (a sample was taken, the plan was remade): the held look again. */
  recheck(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** An instance changed state: the loading slot may be free. */
  settled(role: Role, state: InstanceState): void {
    this.admission.settled(role, state);
    this.recheck();
  }
}

/** What the command line sets of every launch: the run's own flags, not settings. */
export interface RunOptions {
  /** CPU threads per instance, over the plan's. */
  threads: number | undefined;
  maxTokens: number;
  temperature: number;
  thinkPauseS: number;
}

/** The launch config of a planned instance: exactly the plan, and the run's generation settings. */
export function launchConfigFor(planned: InstancePlan, run: RunOptions, demo: boolean): LaunchConfig {
  return {
    modelPath: planned.modelPath,
    demo,
    plan: {
      gpuLayers: planned.gpuLayers,
      contextSize: planned.contextSize,
      batchSize: planned.batchSize,
      threads: run.threads ?? planned.threads,
      useMmap: planned.useMmap,
      useMlock: planned.useMlock,
    },
    generation: { maxTokens: run.maxTokens, temperature: run.temperature, tokenBatchMs: TOKEN_BATCH_MS },
    thinkPauseMs: run.thinkPauseS * 1000,
  };
}

/** Streamed tokens are sent about this often. */
const TOKEN_BATCH_MS = 50;
