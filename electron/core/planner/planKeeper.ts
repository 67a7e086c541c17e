import path from 'node:path';

import type { BoardResources } from '../../../shared/board.js';
import type { Role } from '../../../shared/instances.js';
import type { PlanOutcome } from '../../../shared/plan.js';
import type { Settings } from '../../../shared/settings.js';
import { ensureDemoModel } from '../demoModel.js';
import { reducedLayers } from '../watchdog/policy.js';
import { planForSettings } from './planInputs.js';

/**
 * The plan in force and what it is made from: the board's resources, the settings, each role's model (the demo
 * model, generated on first use, where none is set) and the GPU layers a role may use at most after a GPU-threshold
 * kill. The host asks it for a new plan when any of those changes.
 */
export class PlanKeeper {
  private outcome: PlanOutcome;
  /** The plan last announced, as JSON: a change that leaves the plan as it was is no news. */
  private announced: string | null = null;
  private readonly layerCaps: Partial<Record<Role, number>> = {};
  private demoModelPath: string | null = null;

  constructor(
    private board: BoardResources,
    private readonly dataDir: string,
    settings: Settings,
  ) {
    this.outcome = this.planFor(settings);
  }

  get plan(): PlanOutcome {
    return this.outcome;
  }

  get resources(): BoardResources {
    return this.board;
  }

  set resources(resources: BoardResources) {
    this.board = resources;
  }

  get caps(): Partial<Record<Role, number>> {
    return { ...this.layerCaps };
  }

  isDemo(modelPath: string): boolean {
    return modelPath === this.demoModelPath;
  }

  /** The plan `settings` would make, without putting it in force (checks, previews). */
  planFor(settings: Settings): PlanOutcome {
    return planForSettings({
      settings,
      resources: this.board,
      modelOf: (role) => this.modelOf(role, settings),
      layerCaps: this.layerCaps,
    });
  }

  /** Makes the plan of `settings` the plan in force; true when it differs from the one last announced. */
  replan(settings: Settings): boolean {
    this.outcome = this.planFor(settings);
    const json = JSON.stringify(this.outcome);
    if (json === this.announced) return false;
    this.announced = json;
    return true;
  }

  /** After a GPU-threshold kill: a quarter fewer GPU layers for the role. Null when it had none to give. */
  reduceLayers(role: Role): { fromLayers: number; toLayers: number } | null {
    const planned = this.outcome.ok ? this.outcome.plan.instances.find((one) => one.instance === role) : undefined;
    if (!planned || planned.gpuLayers === 0) return null;
    const toLayers = reducedLayers(planned.gpuLayers);
    this.layerCaps[role] = toLayers;
    return { fromLayers: planned.gpuLayers, toLayers };
  }

  private modelOf(role: Role, settings: Settings): string {
    const chosen = settings.models[role];
    if (chosen) return chosen;
    this.demoModelPath ??= ensureDemoModel(path.join(this.dataDir, 'models'));
    return this.demoModelPath;
  }
}
