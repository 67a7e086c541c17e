import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { takeInventory, type InventorySource } from '../../electron/core/board/inventory.js';
import { takeInventoryInChild, thisBoardInventory } from '../../electron/core/board/inventoryProbe.js';
import { readLiveInputs, resourcesFrom } from '../../electron/core/board/resources.js';
import { parseArgs } from '../../electron/core/cli/args.js';
import { doctor } from '../../electron/core/cli/commands.js';
import { board } from '../helpers/boards.js';
import { nvidiaSmiStandIn } from '../helpers/gpuStandIns.js';

/** A Jetson as systeminformation sees it: no DMI table, so the model comes from the device tree. */
const jetson: InventorySource = {
  cpu: async () => ({ manufacturer: 'ARM', brand: 'Cortex-A78AE', cores: 12 }),
  osInfo: async () => ({ distro: 'Ubuntu', release: '22.04.4 LTS', codename: 'jammy' }),
  system: async () => ({ manufacturer: '', model: 'Computer', virtual: false }),
  deviceTreeModel: async () => 'NVIDIA Jetson AGX Orin Developer Kit',
};

function doctorFlags(...extra: string[]) {
  const parsed = parseArgs(['doctor', ...extra]);
  assert.ok(parsed.ok && parsed.command === 'doctor');
  return parsed.flags;
}

describe('the board inventory (systeminformation, once)', () => {
  it('names this machine: a Debian system, its CPU and core count', async () => {
    const inventory = await takeInventory();
    assert.ok(inventory, 'systeminformation answered within the deadline');
    assert.match(inventory.os, /^Debian GNU\/Linux \d+/);
    assert.match(inventory.cpu, /\S, \d+ cores?$/);
    assert.ok(inventory.system.length > 0);
  });

  it('gives up at its deadline when systeminformation never answers, instead of holding up its caller', async () => {
    const hung: InventorySource = { ...jetson, system: () => new Promise(() => undefined) };
    const started = Date.now();
    assert.equal(await takeInventory(hung, 200), null);
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 190 && tookMs < 1000, `gave up after ${tookMs} ms`);
  });

  it('kills what systeminformation started at the deadline: a dmidecode that hangs goes, with its child', async () => {
    const dmidecode = nvidiaSmiStandIn('hang-child', 'hang-child', 'dmidecode');
    try {
      const env = { ...process.env, PATH: `${path.dirname(dmidecode.path)}:${process.env.PATH ?? ''}` };
      const started = Date.now();
      assert.equal(await takeInventoryInChild({ env, deadlineMs: 1000 }), null);
      const tookMs = Date.now() - started;
      assert.ok(dmidecode.starts().length >= 1, 'systeminformation ran the stand-in');
      // Its own deadline, or at worst the host's for the child (1 s + 7 s of start-up) and the kill's wait.
      assert.ok(tookMs >= 1000 && tookMs < 10_000, `gave up after ${tookMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Both ignore SIGTERM: only the SIGKILL to the inventory's whole group ends them.
      assert.deepEqual(dmidecode.processes(), [], 'no dmidecode is left behind');
    } finally {
      dmidecode.remove();
    }
  });

  it('a child that answers gives the same inventory as systeminformation here', async () => {
    assert.deepEqual(await takeInventoryInChild(), await takeInventory());
  });

  it('is null when systeminformation fails', async () => {
    const failing: InventorySource = { ...jetson, osInfo: () => Promise.reject(new Error('lsb_release: not found')) };
    assert.equal(await takeInventory(failing, 1000), null);
  });

  it("reads a Jetson's name from the device tree where systeminformation says only 'Computer'", async () => {
    assert.deepEqual(await takeInventory(jetson, 1000), {
      cpu: 'ARM Cortex-A78AE, 12 cores',
      os: 'Ubuntu 22.04.4 LTS (jammy)',
      system: 'NVIDIA Jetson AGX Orin Developer Kit',
    });
  });

  it("is in this machine's resources once taken, and absent from a recorded board's", async () => {
    const taken = await thisBoardInventory();
    assert.deepEqual(resourcesFrom(await readLiveInputs(null)).inventory, taken);
    assert.equal('inventory' in board('orin-agx-32gb'), false);
  });

  it('doctor prints it, and --json carries it', async () => {
    const text = await doctor(doctorFlags());
    assert.match(text.text, /\n {2}OS: Debian GNU\/Linux \d+/);
    assert.match(text.text, /\n {2}CPU: .+, \d+ cores?\n/);
    assert.match(text.text, /\n {2}System: \S/);
    const json = JSON.parse((await doctor(doctorFlags('--json'))).text) as { resources: { inventory: { os: string } } };
    assert.match(json.resources.inventory.os, /^Debian/);
  });
});
