import fs from 'node:fs';
import path from 'node:path';

import type { Role } from '../../../shared/instances.js';
import { LIMIT_ACTION_FRACTION } from '../watchdog/policy.js';
import { parseHighEvents } from './cgroupFiles.js';
import type { KernelSignal, LineSample, LineWatcher } from './kernelLines.js';

/**
 * cgroup v2's line: memory.high, where the kernel throttles a group's growth (it reclaims and stalls the allocating
 * task) instead of notifying. The throttle holds the line while the host's loop is busy; this watch on the group's
 * memory.events (inotify, through fs.watch: the kernel marks the file modified when a counter moves) tells the
 * watchdog the group has been throttled, so that the instance is stopped within the grace instead of crawling.
 */
export class HighWatch {
  private readonly watchers = new Map<string, { watcher: fs.FSWatcher; seen: number }>();

  constructor(private readonly onHigh: (id: string, count: number) => void) {}

  /** Watches a group folder's memory.events; the throttles counted before now are not news. */
  watch(id: string, dir: string): void {
    const file = path.join(dir, 'memory.events');
    const read = () => {
      try {
        return parseHighEvents(fs.readFileSync(file, 'utf8'));
      } catch {
        return null;
      }
    };
    const entry = { seen: read() ?? 0, watcher: fs.watch(file, { persistent: false }) };
    entry.watcher.on('change', () => {
      const count = read();
      if (count === null || count <= entry.seen) return;
      entry.seen = count;
      this.onHigh(id, count);
    });
    // A group removed under the watch (its worker gone) ends the watch, never the host.
    entry.watcher.on('error', () => this.unwatch(id));
    this.watchers.set(id, entry);
  }

  unwatch(id: string): void {
    this.watchers.get(id)?.watcher.close();
    this.watchers.delete(id);
  }

  dispose(): void {
    for (const id of [...this.watchers.keys()]) this.unwatch(id);
  }
}

/**
 * The lines on cgroup v2: each worker's memory.high (set by the enforcement a little under its memory.max) and the
 * instances' parent group's memory.high, placed each sample just under the board's line as their share of it (the
 * line less what is used outside them). A throttle counted in a worker's memory.events is reported as that worker
 * crossing its line; one of the parent's only throttles: the polling watchdog, sampling fast near the line, names
 * the victim.
 */
export class V2Lines implements LineWatcher {
  readonly failed = null;
  private readonly groups = new Map<string, { role: Role; pid: number; dir: string; limitBytes: number }>();
  private readonly listeners = new Set<(signal: KernelSignal) => void>();
  private readonly high = new HighWatch((id) => this.throttled(id));

  constructor(private readonly boardDir: string) {}

  onSignal(listener: (signal: KernelSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  watch(id: string, role: Role, pid: number, dir: string, limitBytes: number): void {
    this.groups.set(id, { role, pid, dir, limitBytes });
    this.high.watch(id, dir);
  }

  unwatch(id: string): void {
    this.groups.delete(id);
    this.high.unwatch(id);
  }

  update(sample: LineSample): void {
    for (const group of this.groups.values()) {
      group.limitBytes = sample.instances.find((one) => one.pid === group.pid)?.limitBytes ?? group.limitBytes;
    }
    const current = readNumber(path.join(this.boardDir, 'memory.current'));
    if (current === null || this.groups.size === 0) return;
    const line = sample.ramTotalBytes * (sample.ramThreshold / 100);
    const high = Math.max(0, Math.floor(current + line - sample.ramUsedBytes));
    try {
      fs.writeFileSync(path.join(this.boardDir, 'memory.high'), String(high));
    } catch {
      // The folder went with the host's shutdown: the next host places its own.
    }
  }

  dispose(): void {
    this.high.dispose();
    this.listeners.clear();
  }

  private throttled(id: string): void {
    const group = this.groups.get(id);
    if (!group) return;
    const usageBytes = readNumber(path.join(group.dir, 'memory.current')) ?? 0;
    const now = Date.now();
    const thresholdBytes = group.limitBytes * LIMIT_ACTION_FRACTION;
    const signal: KernelSignal = {
      kind: 'signaled',
      role: group.role,
      pid: group.pid,
      reason: 'ram-limit',
      usageBytes,
      thresholdBytes,
      crossedAt: now,
      at: now,
      by: 'cgroup-v2-memory-high',
    };
    for (const listener of this.listeners) listener(signal);
  }
}

function readNumber(file: string): number | null {
  try {
    const value = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}
