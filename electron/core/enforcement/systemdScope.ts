import path from 'node:path';

import { ENFORCEMENT_LABELS } from '../../../shared/watchdog.js';
import { readIfPresent } from '../readIfPresent.js';
import { ToolQuery } from '../toolQuery.js';
import { parseOomKills, parseProcCgroup } from './cgroupFiles.js';
import type { Enforcement, WorkerLimit } from './enforcement.js';

/**
 * A systemd user scope per worker, with MemoryMax, where no memory cgroup of our own can be made. systemctl is an
 * external tool like any other: every run has a deadline, runs in a process group of its own that is killed at the
 * deadline (toolProcess.ts), and a run the kernel will not let die is abandoned, never multiplied.
 */

/** `systemctl --user` answers in milliseconds; one that takes this long is stuck (a wedged bus, a busy manager). */
export const SYSTEMCTL_DEADLINE_MS = 3000;

export interface SystemctlOptions {
  /** The systemctl to run (a test's stand-in). */
  command?: string;
  deadlineMs?: number;
}

function systemctl(args: readonly string[], options: SystemctlOptions): ToolQuery {
  const command = options.command ?? 'systemctl';
  return new ToolQuery({ command: () => command, args, deadlineMs: options.deadlineMs ?? SYSTEMCTL_DEADLINE_MS });
}

/**
 * Changes one scope's limits, one systemctl at a time: a change asked for while one runs waits for it, and only the
 * latest of those is sent, so a stuck systemctl holds back one process, not one per change.
 */
class ScopeLimitSetter {
  private latest: string[] | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: SystemctlOptions) {}

  set(args: string[]): void {
    this.latest = args;
    this.running ??= this.drain();
  }

  /** Resolves once every change asked for so far has been sent (or has failed). */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.latest !== null) {
      const args = this.latest;
      this.latest = null;
      // A refused or stuck change leaves the kernel's line where it was; the watchdog still acts at the new limit.
      await systemctl(args, this.options).run();
    }
    this.running = null;
  }
}

export class SystemdScopeEnforcement implements Enforcement {
  readonly info = {
    kind: 'systemd-scope' as const,
    label: ENFORCEMENT_LABELS['systemd-scope'],
    reason: 'a user systemd manager runs: each worker starts in a scope with MemoryMax',
  };
  private count = 0;

  constructor(
    private readonly highFraction: number,
    private readonly backstopHeadroom: number,
    private readonly options: SystemctlOptions = {},
  ) {}

  wrapper(name: string, limitBytes: number): string[] {
    const unit = `brain-in-jar-${process.pid}-${name}-${++this.count}`;
    return [
      'systemd-run',
      '--user',
      '--scope',
      '--quiet',
      `--unit=${unit}`,
      '-p',
      `MemoryMax=${Math.floor(limitBytes)}`,
      '-p',
      `MemoryHigh=${Math.floor(limitBytes * this.highFraction)}`,
      '--',
    ];
  }

  attach(name: string, pid: number): WorkerLimit & { settled(): Promise<void> } {
    const unit = `brain-in-jar-${process.pid}-${name}-${this.count}.scope`;
    const cgroup = parseProcCgroup(readIfPresent(`/proc/${pid}/cgroup`) ?? '').v2;
    const events = cgroup ? path.join('/sys/fs/cgroup', cgroup, 'memory.events') : null;
    const setter = new ScopeLimitSetter(this.options);
    return {
      setLimit: (bytes, currentBytes) => {
        const max = Math.floor(Math.max(bytes, currentBytes * this.backstopHeadroom));
        const high = Math.floor(max * this.highFraction);
        setter.set(['--user', 'set-property', '--runtime', unit, `MemoryMax=${max}`, `MemoryHigh=${high}`]);
      },
      oomKills: () => (events ? parseOomKills(readIfPresent(events) ?? '') : 0),
      release: () => undefined,
      settled: () => setter.settled(),
    };
  }
}

/**
 * Whether a user systemd manager runs (`systemctl --user is-system-running`: running, or degraded with a failed unit,
 * which still makes scopes); the reason for the panel when it does not.
 */
export async function probeUserSystemd(options: SystemctlOptions = {}): Promise<{ runs: boolean; reason: string }> {
  const outcome = await systemctl(['--user', 'is-system-running'], options).run();
  if (outcome.kind === 'missing') return { runs: false, reason: 'no user systemd manager (no systemctl)' };
  if (outcome.kind === 'failed') return { runs: false, reason: `no user systemd manager (${outcome.reason})` };
  const state = outcome.stdout.trim();
  if (state === 'running' || state === 'degraded') return { runs: true, reason: state };
  return { runs: false, reason: state ? `the user systemd manager is ${state}` : 'no user systemd manager' };
}
