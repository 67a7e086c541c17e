/**
 * Takes the board inventory with systeminformation, in a process of its own group: systeminformation's calls start
 * processes (dmidecode, lscpu, ...) and one can hang; when this process exits, the host kills its group, and whatever
 * is still running of those goes with it (electron/core/board/inventoryProbe.ts). Prints one JSON line: the inventory,
 * or null. argv[2]: how long systeminformation may take, ms.
 */
import { INVENTORY_DEADLINE_MS, takeInventory } from '../core/board/inventory.js';

// The host is gone (its end of the IPC channel closed): nobody is waiting for the answer.
process.on('disconnect', () => process.exit(0));

const deadlineMs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : INVENTORY_DEADLINE_MS;
const inventory = await takeInventory(undefined, deadlineMs);
process.stdout.write(`${JSON.stringify(inventory)}\n`);
process.exit(0);
