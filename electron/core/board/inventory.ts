import fs from 'node:fs';

import si from 'systeminformation';

import type { BoardInventory } from '../../../shared/board.js';

/** What the inventory asks of systeminformation (and of the device tree); a test hands in a stub. */
export interface InventorySource {
  cpu(): Promise<{ manufacturer: string; brand: string; cores: number }>;
  osInfo(): Promise<{ distro: string; release: string; codename: string }>;
  system(): Promise<{ manufacturer: string; model: string; virtual: boolean; virtualHost?: string }>;
  /** An ARM board's own name (a Jetson has no DMI table, so systeminformation says only "Computer"). */
  deviceTreeModel(): Promise<string | null>;
}

const THIS_MACHINE: InventorySource = {
  cpu: () => si.cpu(),
  osInfo: () => si.osInfo(),
  system: () => si.system(),
  deviceTreeModel: async () => {
    try {
      return fs.readFileSync('/proc/device-tree/model', 'utf8').replace(/\0/g, '').trim() || null;
    } catch {
      return null;
    }
  },
};

/**
 * systeminformation's calls spawn processes (dmidecode, lscpu, ...), and one can hang on an odd board. This runs in
 * the inventory child (electron/worker/inventory.ts), whose process group goes when it exits: see inventoryProbe.ts.
 */
export const INVENTORY_DEADLINE_MS = 3000;

/** CPU, OS and system model for a person to read, or null when the source fails or misses the deadline. */
export async function takeInventory(
  source: InventorySource = THIS_MACHINE,
  deadlineMs = INVENTORY_DEADLINE_MS,
): Promise<BoardInventory | null> {
  const taken = Promise.all([source.cpu(), source.osInfo(), source.system(), source.deviceTreeModel()]).then(
    ([cpu, os, system, boardModel]) => ({
      cpu: [joinNames(cpu.manufacturer, cpu.brand) || 'unknown CPU', plural(cpu.cores, 'core')].join(', '),
      os: `${joinNames(os.distro, os.release) || 'unknown OS'}${os.codename ? ` (${os.codename})` : ''}`,
      system: describeSystem(system, boardModel),
    }),
    () => null,
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), deadlineMs)));
  try {
    return await Promise.race([taken, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function describeSystem(system: Awaited<ReturnType<InventorySource['system']>>, boardModel: string | null): string {
  const generic = system.model === '' || system.model === 'Computer';
  const name = (generic && boardModel) || joinNames(system.manufacturer, system.model) || 'unknown system';
  if (!system.virtual) return name;
  return `${name} (virtual${system.virtualHost ? `, ${system.virtualHost}` : ''})`;
}

/** "Intel" and "Intel Core i7" read as "Intel Core i7", not "Intel Intel Core i7". */
function joinNames(first: string, second: string): string {
  if (!first) return second.trim();
  return second.startsWith(first) ? second.trim() : `${first} ${second}`.trim();
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
