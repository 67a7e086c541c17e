import fs from 'node:fs';
import path from 'node:path';

import type { Role } from '../../../shared/instances.js';
import { ENFORCEMENT_LABELS, type EnforcementInfo, type EnforcementKind } from '../../../shared/watchdog.js';
import { LIMIT_ACTION_FRACTION } from '../watchdog/policy.js';
import { readIfPresent } from '../readIfPresent.js';
import { parseOomKills, parseProcCgroup } from './cgroupFiles.js';
import { V2Lines } from './highWatch.js';
import { KernelLines, type LineWatcher } from './kernelLines.js';
import { hostCgroupName, sweepStaleCgroups } from './staleCgroups.js';
import { probeUserSystemd, SystemdScopeEnforcement, type SystemctlOptions } from './systemdScope.js';

/**
 * Kernel-enforced per-instance RAM limits, where the system allows them: a memory cgroup per worker (v2 memory.max =
 * the limit, memory.high a little under it; v1 memory.limit_in_bytes), or a systemd user scope with MemoryMax.
 * The watchdog acts first and gracefully; the kernel is the backstop. A kernel OOM kill shows in the group's
 * oom_kill counter, which is how a death is recorded as "kernel-oom".
 */

/** One worker's limit, for the life of that worker. */
export interface WorkerLimit {
  /** Changes the limit; never below what the worker holds now (the watchdog stops it gracefully instead). */
  setLimit(bytes: number, currentBytes: number): void;
  /** How many times the kernel's OOM killer acted in the worker's group. */
  oomKills(): number;
  /** Removes the group once the worker is gone. */
  release(): void;
}

export interface Enforcement {
  readonly info: EnforcementInfo;
  /** A command prefix the worker must be started under (systemd-run), or null. */
  wrapper(name: string, limitBytes: number): string[] | null;
  /** Puts a started worker under its limit. */
  attach(name: Role, pid: number, limitBytes: number): WorkerLimit;
  /** The kernel's usage thresholds on the lines (cgroup v1), watched off the main thread; null where none. */
  readonly kernelLines?: LineWatcher | null;
}

/**
 * memory.high (v1: the soft limit) sits this far under memory.max: the kernel throttles there, and the watchdog
 * stops the instance there (LIMIT_ACTION_FRACTION), before the kernel's hard line kills it.
 */
const HIGH_FRACTION = LIMIT_ACTION_FRACTION;
/** When the limit is lowered under a worker's current use, the kernel's line stays this far above it. */
const BACKSTOP_HEADROOM = 1.05;

const NO_LIMIT: WorkerLimit = { setLimit: () => undefined, oomKills: () => 0, release: () => undefined };

function info(kind: EnforcementKind, reason: string): EnforcementInfo {
  return { kind, label: ENFORCEMENT_LABELS[kind], reason };
}

function writable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

class CgroupEnforcement implements Enforcement {
  private count = 0;
  /** v1: usage thresholds, read by a thread started at the first watch; v2: memory.high, its events watched. */
  readonly kernelLines: LineWatcher | null;

  constructor(
    readonly info: EnforcementInfo,
    private readonly base: string,
    private readonly version: 1 | 2,
    /** The stale groups of hosts that are gone, removed when this one was made. */
    readonly swept: string[],
  ) {
    const off = process.env.BRAIN_IN_JAR_KERNEL_LINES === '0';
    this.kernelLines = off ? null : version === 1 ? new KernelLines(base) : new V2Lines(base);
  }

  wrapper(): null {
    return null;
  }

  attach(name: Role, pid: number, limitBytes: number): WorkerLimit {
    const dir = path.join(this.base, `${name}-${++this.count}`);
    fs.mkdirSync(dir);
    const files =
      this.version === 2
        ? { max: 'memory.max', high: 'memory.high', events: 'memory.events' }
        : { max: 'memory.limit_in_bytes', high: 'memory.soft_limit_in_bytes', events: 'memory.oom_control' };
    const write = (file: string, value: number | string) => fs.writeFileSync(path.join(dir, file), String(value));
    const setLimit = (bytes: number, currentBytes: number) => {
      const max = Math.floor(Math.max(bytes, currentBytes * BACKSTOP_HEADROOM));
      try {
        write(files.max, max);
        write(files.high, Math.floor(max * HIGH_FRACTION));
      } catch {
        // v1 refuses (EBUSY) a limit it cannot reclaim down to; the watchdog still acts at the limit.
      }
    };
    setLimit(limitBytes, 0);
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
    this.kernelLines?.watch(dir, name, pid, dir, limitBytes);
    return {
      setLimit,
      oomKills: () => parseOomKills(readIfPresent(path.join(dir, files.events)) ?? ''),
      release: () => {
        this.kernelLines?.unwatch(dir);
        try {
          fs.rmdirSync(dir);
        } catch {
          // Still busy for a moment after the exit; the folder is removed with the base at shutdown.
        }
      },
    };
  }

  dispose(): void {
    this.kernelLines?.dispose();
    try {
      // A cgroup folder lists its control files too; only the sub-folders are groups to remove.
      for (const entry of fs.readdirSync(this.base, { withFileTypes: true })) {
        if (entry.isDirectory()) fs.rmdirSync(path.join(this.base, entry.name));
      }
      fs.rmdirSync(this.base);
    } catch {
      // Best effort: an empty leftover folder costs nothing.
    }
  }
}

class WatchdogOnly implements Enforcement {
  constructor(readonly info: EnforcementInfo) {}
  wrapper(): null {
    return null;
  }
  attach(): WorkerLimit {
    return NO_LIMIT;
  }
}

export interface EnforcementProbeOptions {
  cgroupRoot?: string;
  procSelfCgroup?: string;
  systemctl?: SystemctlOptions;
}

/**
 * The strongest enforcement this system allows, and why. Creates this host's cgroup folder when it can, after
 * sweeping the folders of hosts that are gone from beside it.
 */
export async function detectEnforcement(
  options: EnforcementProbeOptions = {},
): Promise<Enforcement & { dispose?: () => void; swept?: string[] }> {
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const own = parseProcCgroup(options.procSelfCgroup ?? readIfPresent('/proc/self/cgroup') ?? '');
  const reasons: string[] = [];
  const name = hostCgroupName();

  // cgroup v2 with the memory controller, where this process may make child groups.
  if (own.v2 !== null && (readIfPresent(path.join(root, 'cgroup.controllers')) ?? '').split(/\s+/).includes('memory')) {
    const parent = path.join(root, own.v2);
    const base = path.join(parent, name);
    try {
      const swept = sweepStaleCgroups(parent);
      fs.mkdirSync(base);
      if (!(readIfPresent(path.join(base, 'cgroup.controllers')) ?? '').includes('memory')) {
        fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+memory');
      }
      fs.writeFileSync(path.join(base, 'cgroup.subtree_control'), '+memory');
      return new CgroupEnforcement(info('cgroup-v2', `a memory cgroup per worker, under ${parent}`), base, 2, swept);
    } catch (error) {
      try {
        fs.rmdirSync(base);
      } catch {
        // nothing was made
      }
      reasons.push(
        `cgroup v2 at ${parent} is not delegated to this user (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
  } else {
    reasons.push('no cgroup v2 memory controller');
  }

  // cgroup v1's memory hierarchy, writable (root, or a delegated folder).
  const v1 = path.join(root, 'memory');
  if (own.v1Memory !== null && fs.existsSync(path.join(v1, 'memory.limit_in_bytes'))) {
    const parent = path.join(v1, own.v1Memory);
    const base = path.join(parent, name);
    if (writable(parent)) {
      try {
        const swept = sweepStaleCgroups(parent);
        fs.mkdirSync(base);
        return new CgroupEnforcement(info('cgroup-v1', `a memory cgroup per worker, under ${parent}`), base, 1, swept);
      } catch (error) {
        reasons.push(`cannot make a memory cgroup under ${parent} (${(error as NodeJS.ErrnoException).code ?? error})`);
      }
    } else {
      reasons.push(`the cgroup v1 memory folder ${parent} is not writable (not root)`);
    }
  } else {
    reasons.push('no cgroup v1 memory controller');
  }

  // A user systemd manager can make scopes with MemoryMax for us.
  const systemd = await probeUserSystemd(options.systemctl);
  if (systemd.runs) return new SystemdScopeEnforcement(HIGH_FRACTION, BACKSTOP_HEADROOM, options.systemctl);
  reasons.push(systemd.reason);

  return new WatchdogOnly(info('watchdog-only', reasons.join('; ')));
}
