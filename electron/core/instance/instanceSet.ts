import type { InstanceSnapshot, Role } from '../../../shared/instances.js';
import { ApiFailure } from '../api.js';
import type { Instance } from './instance.js';

/**
 * The instances of the mode that runs, by role, and what the operator asks of them through the api: start, stop and
 * kill one or all, each answered with the snapshots after it (or an ApiFailure that says why not).
 */
export class InstanceSet extends Map<Role, Instance> {
  constructor(private readonly mode: () => string) {
    super();
  }

  /** The instance of a role, or a BAD_STATE failure naming the mode it does not run in. */
  of(role: Role): Instance {
    const instance = this.get(role);
    if (!instance) throw new ApiFailure('BAD_STATE', `${role} does not run in ${this.mode()} mode`, 'instance');
    return instance;
  }

  snapshots(role?: Role): InstanceSnapshot[] {
    return this.selected(role).map((instance) => instance.snapshot());
  }

  /** Starts one or all; refused starts (a bad model file) are answered together. */
  start(role: Role | undefined): InstanceSnapshot[] {
    const failed: Array<{ code: string; message: string }> = [];
    for (const instance of this.selected(role)) {
      if (!instance.start()) {
        failed.push(instance.snapshot().error ?? { code: 'BAD_STATE', message: `${instance.role} did not start` });
      }
    }
    if (failed.length > 0) {
      const code = failed[0]!.code === 'MODEL_INVALID' ? 'MODEL_INVALID' : 'BAD_STATE';
      throw new ApiFailure(code, failed.map((failure) => failure.message).join('\n'));
    }
    return this.snapshots(role);
  }

  /** Stops one or all gracefully (no death). */
  async stop(role?: Role): Promise<InstanceSnapshot[]> {
    await Promise.all(this.selected(role).map((instance) => instance.stop()));
    return this.snapshots(role);
  }

  /** The operator's kill: a death with cause "killed". */
  kill(role: Role): InstanceSnapshot {
    const instance = this.of(role);
    if (!instance.kill('killed')) {
      throw new ApiFailure('BAD_STATE', `${role} has no running worker to kill (it is ${instance.state})`);
    }
    return instance.snapshot();
  }

  private selected(role: Role | undefined): Instance[] {
    return role ? [this.of(role)] : [...this.values()];
  }
}
