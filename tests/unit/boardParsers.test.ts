import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { GIB, MIB } from '../../shared/board.js';
import { parseGpuLoad, parseNvTegraRelease } from '../../electron/core/board/jetson.js';
import { isGoodReading, parseNvidiaSmiCsv } from '../../electron/core/board/nvidiaSmi.js';
import { resourcesFrom, type ResourceInputs } from '../../electron/core/board/resources.js';
import { parseTegrastats, parseTegrastatsLine } from '../../electron/core/board/tegrastats.js';
import { board } from '../helpers/boards.js';
import { fixture, fixturePath } from '../helpers/fixtures.js';

const smi = (name: string, fields?: string[]) => parseNvidiaSmiCsv(fixture(`recorded/nvidia-smi/${name}`), fields);

describe('nvidia-smi CSV parser, on real outputs', () => {
  it('reads a header with units (RTX 2060)', () => {
    const [gpu] = smi('rtx2060-linux-460.91.03-csv-header-units.txt');
    assert.deepEqual(gpu, {
      index: 0,
      name: 'GeForce RTX 2060',
      memoryUsedBytes: 682 * MIB,
      memoryTotalBytes: 5934 * MIB,
      utilizationPercent: 20,
      temperatureC: 36,
    });
  });

  it('reads several GPUs, one line each', () => {
    const a100 = smi('multi-gpu-8x-a100-sxm4-80gb-csv-header-units.txt');
    assert.equal(a100.length, 8);
    assert.deepEqual(
      a100.map((gpu) => gpu.index),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(a100[1]!.memoryUsedBytes, 77105 * MIB);
    assert.equal(a100[0]!.utilizationPercent, 99);
    const v100 = smi('multi-gpu-8x-v100-sxm2-32gb-csv-header-units.txt');
    assert.equal(v100[0]!.temperatureC, 35);
    assert.equal(v100[0]!.memoryTotalBytes, 32768 * MIB);
    assert.equal(smi('multi-gpu-2x-rtx5080-csv-header-units.txt')[1]!.memoryUsedBytes, 8311 * MIB);
  });

  it('reads the all-fields dumps, whatever the column order', () => {
    const [h100] = smi('h100-80gb-hbm3-linux-590.48.01-load-query-gpu-allfields-csv.txt');
    assert.equal(h100!.name, 'NVIDIA H100 80GB HBM3');
    assert.ok(h100!.memoryTotalBytes! > 80_000 * MIB);
    const [l40s] = smi('l40s-linux-595.80-idle-query-gpu-allfields-csv.txt');
    assert.equal(l40s!.name, 'NVIDIA L40S');
  });

  it('treats [N/A], [Not Supported] and plain N/A as unknown, not zero', () => {
    const [spark] = smi('dgx-spark-gb10-580.173.02-csv-header-memory-NA.txt');
    assert.equal(spark!.memoryTotalBytes, null);
    assert.equal(spark!.memoryUsedBytes, null);
    assert.equal(spark!.utilizationPercent, 0);
    assert.equal(spark!.temperatureC, 35);
    const geforceFields = [
      'memory.total',
      'memory.free',
      'memory.used',
      'temperature.gpu',
      'fan.speed',
      'utilization.gpu',
      'utilization.memory',
    ];
    for (const name of [
      'geforce-2gb-noheader-nounits-bracket-NA.txt',
      'geforce-2gb-noheader-nounits-bracket-NotSupported-older-driver.txt',
    ]) {
      const [gpu] = smi(name, geforceFields);
      assert.equal(gpu!.memoryTotalBytes, 2004 * MIB);
      assert.equal(gpu!.temperatureC, 44);
      assert.equal(gpu!.utilizationPercent, 0);
    }
    const fields2080 =
      'power.limit,power.min_limit,power.max_limit,memory.total,vbios_version,driver_version,name,gpu_uuid,power.draw,temperature.gpu,temperature.memory,clocks.current.graphics,clocks.sm,clocks.mem,utilization.gpu,utilization.memory,fan.speed,pcie.link.width.current,pstate'.split(
        ',',
      );
    const [rtx2080] = smi('rtx2080-440.64-noheader-nounits-plain-NA.txt', fields2080);
    assert.equal(rtx2080!.name, 'GeForce RTX 2080');
    assert.equal(rtx2080!.memoryTotalBytes, 7979 * MIB);
    assert.equal(rtx2080!.temperatureC, 45);
  });

  it('reads a Jetson, where every memory field is [N/A]', () => {
    const fields = [
      'index',
      'name',
      'memory.total',
      'memory.used',
      'memory.free',
      'utilization.gpu',
      'temperature.gpu',
    ];
    const [orin] = smi('jetson-agx-orin-noheader-all-NA.txt', fields);
    assert.deepEqual(orin, {
      index: 0,
      name: 'Orin (nvgpu)',
      memoryUsedBytes: null,
      memoryTotalBytes: null,
      utilizationPercent: null,
      temperatureC: null,
    });
  });

  it('reads loops: one header and many rows, or the header repeated before each row', () => {
    const t4 = smi('tesla-t4-16gb-csv-header-units-lms100-loop.txt');
    assert.ok(t4.length > 10);
    assert.ok(t4.every((gpu) => gpu.name === 'Tesla T4' && gpu.memoryTotalBytes === 15360 * MIB));
    const rtx2070 = smi('rtx2070-8gb-csv-header-units-repeated-header-per-call.txt');
    assert.deepEqual(
      rtx2070.map((gpu) => gpu.memoryUsedBytes! / MIB),
      [841, 869, 865, 865, 865],
    );
  });

  it('keeps units in a nounits header out of the field names (P100)', () => {
    const [p100] = smi('tesla-p100-csv-nounits-header-keeps-units.txt');
    assert.equal(p100!.name, 'Tesla P100-PCIE-16GB');
    assert.equal(p100!.memoryUsedBytes, 0);
    assert.equal(p100!.temperatureC, 37);
  });

  it('finds no GPU rows in outputs that are not CSV (the table form)', () => {
    assert.deepEqual(smi('rtx4080super-linux-595.71.05-idle-table.txt'), []);
  });

  it('rejects what no GPU can report: negative, absurd or not-a-number figures, used above total', () => {
    // What a broken tool printed in the adversarial run: a GPU of negative memory, were it believed.
    assert.deepEqual(parseNvidiaSmiCsv('-1,-2,-3,-4,-5'), [
      {
        index: 0,
        name: null,
        memoryUsedBytes: null,
        memoryTotalBytes: null,
        utilizationPercent: null,
        temperatureC: null,
        rejected: ['memory.used', 'memory.total', 'utilization.gpu', 'temperature.gpu'],
      },
    ]);
    const [over] = parseNvidiaSmiCsv('GeForce RTX 2060, 9000, 5934, 20, 36');
    assert.equal(over!.memoryUsedBytes, null);
    assert.equal(over!.memoryTotalBytes, null);
    assert.equal(over!.utilizationPercent, 20);
    assert.deepEqual(over!.rejected, ['memory.used', 'memory.total']);
    const [absurd] = parseNvidiaSmiCsv('GeForce RTX 2060, nan, 99999999999, 250, 36');
    assert.deepEqual(
      [absurd!.memoryUsedBytes, absurd!.memoryTotalBytes, absurd!.utilizationPercent, absurd!.temperatureC],
      [null, null, null, 36],
    );
    assert.deepEqual(absurd!.rejected, ['memory.used', 'memory.total', 'utilization.gpu']);
    assert.equal(isGoodReading(parseNvidiaSmiCsv('-1,-2,-3,-4,-5')), false);
    assert.equal(isGoodReading(parseNvidiaSmiCsv('')), false);
    assert.equal(isGoodReading(parseNvidiaSmiCsv('GeForce RTX 2060, 682, 5934, 20, 36')), true);
  });

  it('rejects nothing in any real recording', () => {
    const dir = fixturePath('recorded/nvidia-smi');
    for (const file of fs.readdirSync(dir)) {
      const gpus = smi(file);
      assert.ok(
        gpus.every((gpu) => gpu.rejected === undefined),
        `${file}: ${JSON.stringify(gpus.find((gpu) => gpu.rejected))}`,
      );
    }
  });

  it('tells a GPU whose figures are garbage from one that has none', () => {
    const garbage = resourcesFrom(inputsWithSmi('-1,-2,-3,-4,-5'));
    assert.equal(garbage.gpu.kind, 'nvidia');
    assert.equal(garbage.gpu.memoryTotalBytes, null);
    assert.match(garbage.gpu.note ?? '', /^nvidia-smi gave values no GPU can have \(memory\.used, memory\.total/);
    const silent = resourcesFrom({
      ...inputsWithSmi(null),
      nvidiaSmiProblem: 'nvidia-smi did not answer in 5 s; killed',
    });
    assert.equal(silent.gpu.kind, 'none');
    assert.equal(silent.gpu.note, 'nvidia-smi did not answer in 5 s; killed');
    assert.equal('note' in resourcesFrom(inputsWithSmi('GeForce RTX 2060, 682, 5934, 20, 36')).gpu, false);
  });
});

function inputsWithSmi(nvidiaSmi: string | null): ResourceInputs {
  return {
    meminfo: fixture('recorded/meminfo/x86_64-16gb-statum-2019.txt'),
    cores: 2,
    nvidiaSmi,
    tegrastats: null,
    gpuLoad: null,
    nvTegraRelease: null,
    jetson: false,
    backend: null,
    source: 'test',
  };
}

describe('tegrastats parser, on real lines from every board', () => {
  const dir = fixturePath('recorded/tegrastats');
  for (const file of fs.readdirSync(dir)) {
    it(`reads every RAM figure of ${file}`, () => {
      const text = fixture(`recorded/tegrastats/${file}`);
      const expected = text.split('\n').filter((line) => /\bRAM \d+\/\d+MB/.test(line)).length;
      const samples = parseTegrastats(text);
      assert.equal(samples.length, expected);
      for (const sample of samples) {
        assert.ok(sample.ramTotalBytes! > 1000 * MIB && sample.ramUsedBytes! <= sample.ramTotalBytes!);
        for (const value of Object.values(sample.temperaturesC)) assert.ok(value > -40 && value < 120, `${value} C`);
      }
    });
  }

  it('reads every GR3D_FREQ form', () => {
    const gpu = (file: string) => parseTegrastats(fixture(`recorded/tegrastats/${file}`))[0]!.gpuLoadPercent;
    assert.equal(gpu('nano-4gb-jp4-logfile.txt'), 0); // 0%@76
    assert.equal(gpu('orin-agx-64gb-jp6-sudo.txt'), 39); // 39%@[305,0]
    assert.equal(gpu('orin-nx-8gb-jp6-sudo-engines.txt'), 84); // 84%@[713]
    assert.equal(gpu('orin-nano-8gb-jp6.2-nonroot.txt'), 0); // 0%
    assert.equal(parseTegrastats(fixture('recorded/tegrastats/tx1-l4t28.1-legacy-format.txt'))[1]!.gpuLoadPercent, 39); // GR3D 39%@76
    assert.equal(gpu('tx2-r32.3.1-sudo-with-shell-prompt.txt'), null); // GR3D_FREQ @0: no percent
    assert.equal(gpu('tx2-8gb-nonroot-first20lines.txt'), null); // no GR3D at all
  });

  it('leaves out sensors that read -256C, and reads the rest by lower-case name', () => {
    const sample = parseTegrastats(
      fixture('recorded/tegrastats/orin-agx-64gb-jp5format-uppercase-temps-minus256.txt'),
    )[0]!;
    assert.equal(sample.temperaturesC.gpu, undefined);
    assert.equal(sample.temperaturesC.cv0, undefined);
    assert.equal(sample.temperaturesC.cpu, 44.562);
    assert.equal(sample.temperaturesC.tj, 44.343);
    assert.equal(sample.time, '04-11-2025 10:36:27');
  });

  it('reads RAM and swap of an Orin AGX 32 GB', () => {
    const sample = parseTegrastats(
      fixture('recorded/tegrastats/orin-agx-32gb-jp5format-8cpus-from-script-comment.txt'),
    )[0]!;
    assert.equal(sample.ramUsedBytes, 1438 * MIB);
    assert.equal(sample.ramTotalBytes, 30622 * MIB);
    assert.equal(sample.swapTotalBytes, 15311 * MIB);
  });

  it('ignores lines that are not tegrastats output', () => {
    assert.equal(parseTegrastatsLine('nvidia@linux:~$ sudo /usr/bin/tegrastats'), null);
  });
});

describe('Jetson files', () => {
  it('reads the L4T release of every recorded nv_tegra_release', () => {
    const dir = fixturePath('recorded/nv_tegra_release');
    const releases = fs
      .readdirSync(dir)
      .map((file) => parseNvTegraRelease(fixture(`recorded/nv_tegra_release/${file}`))?.release);
    assert.deepEqual(releases.sort(), ['R32.5', 'R32.6.1', 'R32.7.4', 'R35.4.1', 'R36.3.0', 'R36.4.7']);
  });

  it('reads the devfreq GPU load in per-mille', () => {
    assert.equal(parseGpuLoad('774\n'), 77.4);
    assert.equal(parseGpuLoad('0'), 0);
    assert.equal(parseGpuLoad(''), null);
    assert.equal(parseGpuLoad('busy'), null);
  });
});

describe('board resources from recordings', () => {
  it('sees a Jetson AGX Orin 32 GB as one pool: GPU memory is the RAM', () => {
    const orin = board('orin-agx-32gb');
    assert.equal(orin.gpu.kind, 'jetson');
    assert.equal(orin.gpu.unified, true);
    assert.equal(orin.ramTotalBytes, 30622 * MIB);
    assert.equal(orin.gpu.memoryTotalBytes, orin.ramTotalBytes);
    assert.equal(orin.ramAvailableBytes, (30622 - 1438) * MIB);
    assert.match(orin.gpu.name ?? '', /^Jetson.*, L4T R36\.3\.0$/);
  });

  it('sums discrete GPUs, and takes the last sample of a loop', () => {
    const t4 = board('discrete-16gb');
    assert.equal(t4.gpu.kind, 'nvidia');
    assert.equal(t4.gpu.count, 1);
    assert.equal(t4.gpu.memoryTotalBytes, 15360 * MIB);
    assert.equal(t4.gpu.name, 'Tesla T4');
  });

  it('has no GPU on a CPU-only machine', () => {
    const pi = board('cpu-4gb');
    assert.equal(pi.gpu.kind, 'none');
    assert.ok(pi.ramTotalBytes < 4 * GIB);
  });
});
