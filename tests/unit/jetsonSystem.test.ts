import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import {
  clocksFact,
  parseJetsonClocksShow,
  parseNvpmodelConf,
  parseNvpmodelQuery,
  parseProcSwaps,
  powerModeFact,
  readGpuDevfreq,
  readJetsonSystem,
  runTool,
  zramFact,
} from '../../electron/core/board/jetsonSystem.js';
import { parseOsRelease, platformLabel } from '../../electron/core/board/osRelease.js';
import { fixture } from '../helpers/fixtures.js';
import { nvidiaSmiStandIn } from '../helpers/gpuStandIns.js';

const recorded = (name: string) => fixture(`recorded/jetson-system/${name}`);

describe('zram swap, from recorded swap tables', () => {
  it("finds JetPack's nvzramconfig devices on an Orin Nano (6 x 635 MiB)", () => {
    const devices = parseProcSwaps(recorded('swapon-s-orin-nano-8gb-jp6.0-nvzramconfig.txt'));
    assert.equal(devices.length, 6);
    assert.deepEqual(devices[0], {
      name: '/dev/zram0',
      type: 'partition',
      sizeBytes: 650264 * 1024,
      usedBytes: 0,
      priority: 5,
    });
    const fact = zramFact(recorded('swapon-s-orin-nano-8gb-jp6.0-nvzramconfig.txt'));
    assert.equal(fact.known, true);
    assert.equal(fact.devices, 6);
    assert.equal(fact.totalBytes, 6 * 650264 * 1024);
    assert.match(fact.summary, /^on: 6 devices, 3\.7 GB/);
  });

  it('says off for a header only, and unknown when /proc/swaps cannot be read', () => {
    const off = zramFact('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n');
    assert.equal(off.known, true);
    assert.equal(off.devices, 0);
    assert.match(off.summary, /^off \(no swap at all\)/);
    const disk = zramFact('Filename Type Size Used Priority\n/swapfile file 2097148 0 -2\n');
    assert.match(disk.summary, /^off \(1 other swap device\)/);
    const unknown = zramFact(null);
    assert.equal(unknown.known, false);
    assert.equal(unknown.summary, 'unknown');
  });
});

describe('power mode, from recorded nvpmodel output', () => {
  it('reads the mode and its id (Nano MAXN, Orin NX MAXN_SUPER)', () => {
    assert.deepEqual(parseNvpmodelQuery(recorded('nvpmodel-q-nano-maxn.txt')), { mode: 'MAXN', id: 0 });
    assert.deepEqual(parseNvpmodelQuery(recorded('nvpmodel-q-orin-nx-jp6.2.1-maxn-super.txt')), {
      mode: 'MAXN_SUPER',
      id: 2,
    });
    assert.equal(parseNvpmodelQuery('nvpmodel: command not found\n'), null);
  });

  it('falls back to the status file and the names in nvpmodel.conf', () => {
    const conf = recorded('nvpmodel-t210-jetson-nano-conf-power-model-definitions.txt');
    assert.deepEqual(
      [...parseNvpmodelConf(conf)],
      [
        [0, 'MAXN'],
        [1, '5W'],
      ],
    );
    const fact = powerModeFact({ stdout: '', error: 'nvpmodel not found' }, 'pmode:0001 fmode:quiet\n', conf);
    assert.equal(fact.known, true);
    assert.equal(fact.mode, '5W');
    assert.equal(fact.id, 1);
    assert.match(fact.source, /status and \/etc\/nvpmodel\.conf \(nvpmodel not found\)/);
    const none = powerModeFact({ stdout: '', error: 'nvpmodel not found' }, null, null);
    assert.deepEqual([none.known, none.summary, none.source], [false, 'unknown', 'nvpmodel not found']);
  });
});

describe('clocks, from recorded jetson_clocks --show output', () => {
  it('tells a board before jetson_clocks from the same board after (AGX Orin, MODE_30W)', () => {
    const before = parseJetsonClocksShow(recorded('jetson-clocks-show-agx-orin-mode30w-before-jetson-clocks.txt'));
    const after = parseJetsonClocksShow(recorded('jetson-clocks-show-agx-orin-mode30w-after-jetson-clocks.txt'));
    assert.deepEqual(before, {
      pinned: false,
      gpuHz: { min: 306_000_000, max: 612_000_000, current: 306_000_000 },
      powerMode: 'MODE_30W',
    });
    assert.equal(after?.pinned, true);
    assert.equal(after?.gpuHz?.min, 612_000_000);
    assert.match(clocksFact(after, null, '').summary, /^pinned at their maximum.*GPU 612 MHz \(minimum = maximum\)/);
    assert.match(clocksFact(before, null, '').summary, /^scaling.*GPU 306-612 MHz, now 306/);
  });

  it('reads the Orin NX JetPack 6.2 form (CPUs without Online=, MAXN_SUPER)', () => {
    const clocks = parseJetsonClocksShow(recorded('jetson-clocks-show-orin-nx-jp6.2.1-maxn-super.txt'));
    assert.equal(clocks?.pinned, false);
    assert.equal(clocks?.powerMode, 'MAXN_SUPER');
    assert.equal(parseJetsonClocksShow('Error: Run this script(/usr/bin/jetson_clocks) as a root user\n'), null);
  });

  it('falls back to the GPU devfreq limits, and says unknown with the reason when neither is there', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-devfreq-'));
    const gpu = path.join(root, '17000000.gpu');
    fs.mkdirSync(gpu);
    fs.writeFileSync(path.join(gpu, 'min_freq'), '306000000\n');
    fs.writeFileSync(path.join(gpu, 'max_freq'), '1300500000\n');
    fs.writeFileSync(path.join(gpu, 'cur_freq'), '306000000\n');
    fs.mkdirSync(path.join(root, '15340000.vic'));
    const devfreq = readGpuDevfreq(root);
    assert.equal(devfreq?.max, 1300500000);
    const fact = clocksFact(null, devfreq, 'jetson_clocks failed: Error: Run this script as a root user');
    assert.equal(fact.pinned, false);
    assert.match(fact.summary, /GPU clock scaling: GPU 306-1301 MHz/);
    assert.match(fact.source, /17000000\.gpu \(jetson_clocks failed/);
    const none = clocksFact(null, null, 'jetson_clocks not found');
    assert.deepEqual([none.known, none.pinned, none.source], [false, null, 'jetson_clocks not found']);
  });
});

describe('the tools, run with a deadline', () => {
  it('a missing tool is "not found", a hung one is cut off at the deadline', async () => {
    assert.equal((await runTool('no-such-tool-bij', [], 1000)).error, 'no-such-tool-bij not found');
    const started = Date.now();
    const hung = await runTool(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], 300);
    assert.match(hung.error ?? '', /did not answer in 0\.3 s/);
    assert.ok(Date.now() - started < 5000);
  });

  it('a hung tool with a child that holds its output is killed with that child, and answers at its deadline', async () => {
    const nvpmodel = nvidiaSmiStandIn('hang-child', 'hang-child', 'nvpmodel');
    try {
      const started = Date.now();
      const hung = await runTool(nvpmodel.path, ['-q'], 300);
      assert.equal(hung.error, 'nvpmodel did not answer in 0.3 s; killed');
      assert.ok(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(nvpmodel.processes(), [], 'nothing of it is left');
    } finally {
      nvpmodel.remove();
    }
  });

  it("a tool that fails says why in its own words (stderr's first line)", async () => {
    const failed = await runTool('/bin/sh', ['-c', 'echo "NVPM ERROR: no such mode" >&2; echo more >&2; exit 3'], 2000);
    assert.equal(failed.error, '/bin/sh failed: NVPM ERROR: no such mode');
  });

  it('this machine, not a Jetson: zram from /proc/swaps, power mode and clocks unknown', async () => {
    const facts = await readJetsonSystem(false);
    assert.equal(facts.powerMode.known, false);
    assert.match(facts.clocks.source, /not a Jetson/);
    assert.equal(facts.zram.known, fs.existsSync('/proc/swaps'));
  });
});

describe('os-release, from recorded files', () => {
  it('reads Ubuntu 20.04 (JetPack 5) and 22.04 (JetPack 6) as node-llama-cpp records a platform', () => {
    const focal = parseOsRelease(fixture('recorded/os-release/ubuntu-20.04.6-focal.txt'));
    assert.deepEqual(focal, {
      name: 'Ubuntu',
      versionId: '20.04',
      prettyName: 'Ubuntu 20.04.6 LTS',
      codename: 'focal',
    });
    const jammy = parseOsRelease(fixture('recorded/os-release/ubuntu-22.04.2-jammy.txt'));
    assert.equal(platformLabel(jammy), 'Ubuntu 22.04');
    assert.equal(parseOsRelease(fixture('recorded/os-release/debian-12-bookworm.txt')).codename, 'bookworm');
  });
});
