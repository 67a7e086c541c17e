import fs from 'node:fs';
import path from 'node:path';
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';

import type { Role } from '../../../shared/instances.js';
import { readMeminfo, readProcessMemory } from '../sampler/procfs.js';
import { loadKernel, type Kernel } from './eventfd.js';
import { boardVictim, confirmCrossing, type FromWatcher, type ToWatcher } from './kernelLineProtocol.js';

/**
 * The kernel line watcher: a worker thread that blocks in poll(2) on cgroup v1 usage-threshold eventfds, so that a
 * line crossed is acted on while the host's main loop is busy (a GC pause, a burst of api calls). On a crossing it
 * re-reads the usage, signals the worker itself (SIGTERM, SIGKILL after the grace), and then tells the main thread,
 * which records the death. It signals only a pid listed in that worker's own cgroup.procs.
 */

interface Threshold {
  bytes: number;
  eventFd: number;
}

interface Group {
  /** Null for the instances' parent group (the board's line). */
  role: Role | null;
  pid: number;
  dir: string;
  usageFd: number;
  threshold: Threshold | null;
  /** The worker's line in RssAnon + RssFile, what a crossing is confirmed on; null for the board's group. */
  rssLine: number | null;
}

/** Re-registering costs an eventfd and a write: a line that moved less than this since is left where it is. */
const MOVE_BYTES = 2 ** 20;
/**
 * How often the thread re-places each worker's threshold itself (its usage now plus its RSS line less its RSS now):
 * a worker's RssFile holds pages charged to other groups (the node binary, shared libraries, about 40 MB), so the
 * offset is only known once the worker runs, and the host's samples may be seconds apart, or held up by a busy loop.
 */
const REPLACE_MS = 250;

const { port } = workerData as { port: MessagePort };
const wake = new Int32Array(new SharedArrayBuffer(4));
const clock = { now: () => Date.now(), sleep: (ms: number) => void Atomics.wait(wake, 0, 0, ms) };
const counter = Buffer.alloc(8);

const groups = new Map<string, Group>();
let board: Group | null = null;
/** The board's line in MemTotal - MemAvailable, as the last sample gave it. */
let boardLine: number | null = null;
let policy: 'largest' | 'role-order' = 'largest';
let spare: Role[] = [];
let graceMs = 5000;
const escalations: Array<{ pid: number; dir: string; at: number }> = [];
let running = true;

function send(message: FromWatcher): void {
  port.postMessage(message);
}

function readUsage(usageFd: number): number {
  const buffer = Buffer.alloc(32);
  const length = fs.readSync(usageFd, buffer, 0, buffer.length, 0);
  return Number(buffer.toString('utf8', 0, length).trim());
}

/** Moves a group's threshold: a new eventfd registered, the old one closed (which is how v1 unregisters it). */
function place(
  kernel: Kernel,
  group: Pick<Group, 'dir' | 'usageFd' | 'threshold'>,
  bytes: number | null,
  /** Even a small move: the old line has fired and usage stands above it, so it would not fire again. */
  force = false,
): void {
  const old = group.threshold;
  if (!force && bytes !== null && old && Math.abs(old.bytes - bytes) < MOVE_BYTES) return;
  if (old) kernel.close(old.eventFd);
  group.threshold = null;
  if (bytes === null) return;
  const eventFd = kernel.eventfd();
  fs.writeFileSync(path.join(group.dir, 'cgroup.event_control'), `${eventFd} ${group.usageFd} ${Math.floor(bytes)}`);
  group.threshold = { bytes, eventFd };
}

function forget(kernel: Kernel, group: Group | null): void {
  if (!group) return;
  place(kernel, group, null);
  fs.closeSync(group.usageFd);
}

function ownsPid(dir: string, pid: number): boolean {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid));
  } catch {
    return false;
  }
}

function handle(kernel: Kernel, message: ToWatcher): void {
  if (message.kind === 'stop') {
    running = false;
  } else if (message.kind === 'watch') {
    const usageFd = fs.openSync(path.join(message.dir, 'memory.usage_in_bytes'), 'r');
    const { role, pid, dir, line } = message;
    const group: Group = { role, pid, dir, usageFd, threshold: null, rssLine: line.rssLineBytes };
    groups.set(message.id, group);
    place(kernel, group, line.thresholdBytes);
  } else if (message.kind === 'unwatch') {
    forget(kernel, groups.get(message.id) ?? null);
    groups.delete(message.id);
  } else {
    ({ victimPolicy: policy, spare, graceMs } = message);
    for (const [id, group] of groups) {
      const line = message.instances[id] ?? null;
      if (line) group.rssLine = line.rssLineBytes;
      place(kernel, group, line?.thresholdBytes ?? null);
    }
    if (message.board?.dir !== board?.dir) {
      forget(kernel, board);
      board = null;
      if (message.board) {
        const usageFd = fs.openSync(path.join(message.board.dir, 'memory.usage_in_bytes'), 'r');
        board = { role: null, pid: 0, dir: message.board.dir, usageFd, threshold: null, rssLine: null };
      }
    }
    boardLine = message.board?.lineBytes ?? null;
    if (board && message.board) place(kernel, board, message.board.thresholdBytes);
  }
}

function signal(
  group: Group & { role: Role },
  reason: 'ram-limit' | 'ram-threshold',
  usageBytes: number,
  thresholdBytes: number,
  crossedAt: number,
): void {
  if (escalations.some((pending) => pending.pid === group.pid) || !ownsPid(group.dir, group.pid)) return;
  try {
    process.kill(group.pid, 'SIGTERM');
  } catch {
    return;
  }
  escalations.push({ pid: group.pid, dir: group.dir, at: Date.now() + graceMs });
  const { role, pid } = group;
  send({
    kind: 'signaled',
    role,
    pid,
    reason,
    usageBytes,
    thresholdBytes,
    crossedAt,
    at: Date.now(),
    by: 'cgroup-v1-eventfd',
  });
}

function boardUsed(): number {
  const meminfo = readMeminfo();
  return meminfo.totalBytes - meminfo.availableBytes;
}

/**
 * The instances' group reached its share of the board's line. The share was the line less what the rest used at the
 * last sample, but the rest gives page cache back as the instances grow (a fill of 1 GB/s moved the board's use at
 * about 600 MB/s here), so the share is reached early: the crossing is confirmed on the board's own use, and when the
 * board is still under its line the kernel's line moves up by what is left.
 */
function crossedBoard(kernel: Kernel, group: Group, crossedAt: number): void {
  if (boardLine === null || !group.threshold) return;
  const line = boardLine;
  const verdict = confirmCrossing(line, boardUsed, clock);
  if (!verdict.act) {
    const left = line - verdict.usageBytes;
    if (left > 0) place(kernel, group, readUsage(group.usageFd) + left, true);
    return;
  }
  const candidates = [...groups.values()].flatMap((one) =>
    one.role === null
      ? []
      : [{ group: { ...one, role: one.role }, role: one.role, usageBytes: readUsage(one.usageFd) }],
  );
  const victim = boardVictim(candidates, policy, spare);
  if (victim) signal(victim.group, 'ram-threshold', verdict.usageBytes, line, crossedAt);
}

function crossed(kernel: Kernel, group: Group, crossedAt: number): void {
  if (group.role === null) {
    crossedBoard(kernel, group, crossedAt);
    return;
  }
  const threshold = group.threshold;
  if (!threshold) return;
  const { role, pid, rssLine } = group;
  const verdict =
    role !== null && rssLine !== null
      ? confirmCrossing(rssLine, () => readProcessMemory(pid)?.rssBytes ?? 0, clock)
      : confirmCrossing(threshold.bytes, () => readUsage(group.usageFd), clock);
  if (!verdict.act) return;
  if (!spare.includes(group.role))
    signal({ ...group, role: group.role }, 'ram-limit', verdict.usageBytes, rssLine ?? threshold.bytes, crossedAt);
}

function escalate(): void {
  const now = Date.now();
  for (let i = escalations.length - 1; i >= 0; i--) {
    const pending = escalations[i]!;
    if (!ownsPid(pending.dir, pending.pid)) escalations.splice(i, 1);
    else if (pending.at <= now) {
      escalations.splice(i, 1);
      try {
        process.kill(pending.pid, 'SIGKILL');
      } catch {
        // Gone between the look and the signal.
      }
    }
  }
}

function replaceWorkerLines(kernel: Kernel): void {
  for (const group of groups.values()) {
    if (group.rssLine === null || !group.threshold) continue;
    const rss = readProcessMemory(group.pid)?.rssBytes;
    if (rss === undefined) continue;
    place(kernel, group, readUsage(group.usageFd) + group.rssLine - rss);
  }
}

function run(): void {
  const kernel = loadKernel();
  const wakeFd = kernel.eventfd();
  send({ kind: 'ready', wakeFd });
  let placedAt = 0;
  while (running) {
    const watched = [...groups.values(), ...(board ? [board] : [])].filter((group) => group.threshold);
    const next = escalations.length > 0 ? Math.max(0, Math.min(...escalations.map((one) => one.at)) - Date.now()) : -1;
    // While a SIGKILL is pending, look at its group every 50 ms so that an exit is seen and nobody else is signaled.
    const timeout = escalations.length > 0 ? Math.min(next, 50) : REPLACE_MS;
    const ready = kernel.pollReadable([wakeFd, ...watched.map((group) => group.threshold!.eventFd)], timeout);
    const crossedAt = Date.now();
    for (const fd of ready) fs.readSync(fd, counter, 0, 8, null);
    if (ready.includes(wakeFd)) {
      for (let message = receiveMessageOnPort(port); message; message = receiveMessageOnPort(port)) {
        handle(kernel, message.message as ToWatcher);
      }
    }
    for (const group of watched)
      if (group.threshold && ready.includes(group.threshold.eventFd)) crossed(kernel, group, crossedAt);
    escalate();
    if (crossedAt - placedAt >= REPLACE_MS) {
      placedAt = crossedAt;
      replaceWorkerLines(kernel);
    }
  }
}

try {
  run();
} catch (error) {
  send({ kind: 'failed', message: (error as Error).message });
}
