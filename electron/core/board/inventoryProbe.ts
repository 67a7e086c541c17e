import type { BoardInventory } from '../../../shared/board.js';
import { loaderArgs, workerScript } from '../instance/workerProcess.js';
import { ToolQuery } from '../toolQuery.js';
import { INVENTORY_DEADLINE_MS } from './inventory.js';

/**
 * The inventory is taken in a child process (electron/worker/inventory.ts) of a group of its own, one at a time:
 * systeminformation starts processes of its own (dmidecode, lscpu, ...) that it never kills, and a promise given up on
 * in the host would leave a hung one behind. The child gives up at INVENTORY_DEADLINE_MS and exits, and its whole group
 * is killed as it does (toolProcess.ts); a child that does not exit is killed with its group at the deadline below.
 */

/** The child's start-up (Node and its loaders, on a busy board) on top of systeminformation's own deadline. */
const START_UP_MS = 7000;

export interface InventoryProbeOptions {
  /** The child's environment (a test puts a hung dmidecode first on its PATH). */
  env?: NodeJS.ProcessEnv;
  /** How long systeminformation may take in the child. */
  deadlineMs?: number;
}

function inventoryQuery(options: InventoryProbeOptions): ToolQuery {
  const deadlineMs = options.deadlineMs ?? INVENTORY_DEADLINE_MS;
  return new ToolQuery({
    name: 'the inventory',
    command: () => process.execPath,
    args: [...loaderArgs(), workerScript('inventory'), String(deadlineMs)],
    // Under Electron, process.execPath is the Electron binary: this makes the child a plain Node process.
    env: { ...(options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
    ipc: true,
    deadlineMs: deadlineMs + START_UP_MS,
  });
}

/** The child's answer, checked: it is text from another process, and only three strings are taken from it. */
function parseInventory(stdout: string): BoardInventory | null {
  try {
    const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as unknown;
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { cpu, os, system } = parsed as Record<string, unknown>;
    if (typeof cpu !== 'string' || typeof os !== 'string' || typeof system !== 'string') return null;
    return { cpu, os, system };
  } catch {
    return null;
  }
}

/** CPU, OS and system model, taken in a child process; null when it fails or misses its deadline. Never throws. */
export async function takeInventoryInChild(options: InventoryProbeOptions = {}): Promise<BoardInventory | null> {
  const outcome = await inventoryQuery(options).run();
  return outcome.kind === 'exited' ? parseInventory(outcome.stdout) : null;
}

let thisBoard: Promise<BoardInventory | null> | null = null;
let thisBoardSoFar: BoardInventory | null = null;

/** This machine's inventory, taken once per process: it does not change while the process runs. */
export function thisBoardInventory(): Promise<BoardInventory | null> {
  thisBoard ??= takeInventoryInChild().then((inventory) => (thisBoardSoFar = inventory));
  return thisBoard;
}

/**
 * The inventory if it has been taken by now, else null; the first call starts taking it in the background, so that
 * the host's start-up never waits for it (the host's board refresh after the backend probe finds it there).
 */
export function thisBoardInventorySoFar(): BoardInventory | null {
  void thisBoardInventory();
  return thisBoardSoFar;
}
