import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { GIB } from '../../../shared/board.js';

/**
 * The whole app under the original's systemd limits, as a user unit: MemoryMax, MemoryHigh and CPUQuota (24G, 22G
 * and 600% on a 32 GB, 12-core board, scaled to the board it runs on). The instances' own limits are enforced
 * inside (a memory cgroup per worker, or the watchdog); this is the fence around all of it.
 */

export interface ServiceLimits {
  memoryMaxBytes: number;
  memoryHighBytes: number;
  cpuQuotaPercent: number;
}

/**
 * The board's size as sold: the kernel's MemTotal is a few percent under it (firmware carve-outs; a 32 GB AGX Orin
 * reports about 31.4 GiB), so a MemTotal within 10% under a power of two is that power of two; any other (a VM, a
 * 24 GB box) is taken as it is.
 */
export function nominalRamBytes(ramTotalBytes: number): number {
  for (let size = 4 * GIB; size <= 4096 * GIB; size *= 2) {
    if (ramTotalBytes <= size && ramTotalBytes >= size * 0.9) return size;
  }
  return ramTotalBytes;
}

/**
 * The original's limits on a 32 GB, 12-core Jetson, scaled to this board and written as an operator writes them:
 * whole GiB, rounded down (24G / 22G on any 32 GB Orin), and half the cores in whole cores (600% on 12, 400% on 8).
 */
export function defaultServiceLimits(ramTotalBytes: number, cores: number): ServiceLimits {
  const nominal = nominalRamBytes(ramTotalBytes);
  const wholeGib = (bytes: number) => Math.max(1, Math.floor(bytes / GIB)) * GIB;
  return {
    memoryMaxBytes: wholeGib(nominal * (24 / 32)),
    memoryHighBytes: wholeGib(nominal * (22 / 32)),
    cpuQuotaPercent: Math.max(100, Math.floor(cores / 2) * 100),
  };
}

/** systemd's size notation, in whole megabytes or gigabytes ("24G", "17612M"). */
export function systemdSize(bytes: number): string {
  return bytes % GIB === 0 ? `${bytes / GIB}G` : `${Math.floor(bytes / 2 ** 20)}M`;
}

export function renderServiceUnit(options: { command: string[]; limits: ServiceLimits; electron: boolean }): string {
  const quote = (arg: string) => (/[\s"\\]/.test(arg) ? `"${arg.replace(/(["\\])/g, '\\$1')}"` : arg);
  return [
    '[Unit]',
    'Description=Brain in a Jar - local minds on a memory-starved board',
    'After=network.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${options.command.map(quote).join(' ')}`,
    ...(options.electron ? ['Environment=ELECTRON_RUN_AS_NODE=1'] : []),
    'Restart=always',
    'RestartSec=10',
    // A wedged host (its memory watchdog no longer sampling) stops pinging, and systemd restarts it.
    'WatchdogSec=60',
    'NotifyAccess=all',
    // The fence around the whole app, as the original's unit had it; each instance has its own limit inside.
    `MemoryMax=${systemdSize(options.limits.memoryMaxBytes)}`,
    `MemoryHigh=${systemdSize(options.limits.memoryHighBytes)}`,
    `CPUQuota=${options.limits.cpuQuotaPercent}%`,
    'NoNewPrivileges=true',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export const UNIT_NAME = 'brain-in-jar.service';

export function userUnitPath(home = os.homedir(), env: NodeJS.ProcessEnv = process.env): string {
  const config =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(config, 'systemd', 'user', UNIT_NAME);
}

export function installUnit(text: string, file = userUnitPath()): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
