import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GIB, NO_GPU, type BoardResources } from '../../shared/board.js';
import type { InstancePlan, PlanOutcome } from '../../shared/plan.js';
import {
  formatVerdict,
  selfTestVerdict,
  type ItemStatus,
  type SelfTestRun,
} from '../../electron/core/cli/selfTestVerdict.js';

const cpuBoard: BoardResources = {
  ramTotalBytes: 24 * GIB,
  ramAvailableBytes: 22 * GIB,
  cores: 2,
  gpu: NO_GPU,
  backend: { backend: 'cpu', vramTotalBytes: 0, vramUsedBytes: 0, note: null },
  source: 'this machine',
};
const orin: BoardResources = {
  ...cpuBoard,
  ramTotalBytes: 31.4 * GIB,
  cores: 12,
  gpu: { ...NO_GPU, kind: 'jetson', name: 'Jetson (Orin, L4T R36.4.3)', unified: true, memoryTotalBytes: 31.4 * GIB },
  backend: { backend: 'cuda', vramTotalBytes: 31.4 * GIB, vramUsedBytes: 0, note: null },
};

function planOf(resources: BoardResources, layers: Array<[number, number]>): PlanOutcome {
  const instances = layers.map(
    ([gpuLayers, totalLayers], index) =>
      ({ instance: (['SUBJECT', 'OBSERVER', 'GOD'] as const)[index]!, gpuLayers, totalLayers }) as InstancePlan,
  );
  return { ok: true, plan: { resources, budgets: {} as never, instances } };
}

/** A run that went well on this machine: one instance, a minute, the panel answering. */
function goodRun(overrides: Partial<SelfTestRun> = {}): SelfTestRun {
  return {
    minutes: 1,
    readyMs: 1400,
    startFailure: null,
    panelAddress: '127.0.0.1:41234',
    watchdogStartLine: '[GPU Watchdog] Starting monitoring (PID: 1234, GPU threshold: 85%, RAM threshold: 90%)',
    resources: cpuBoard,
    plan: planOf(cpuBoard, [[0, 3]]),
    demoModelPath: '/tmp/self-test/models/demo.gguf',
    panel: { status: 200, contentType: 'text/html; charset=utf-8', snapshotMs: 12, error: null },
    samples: [
      { ramPercent: 9.5, gpuPercent: null },
      { ramPercent: 12.1, gpuPercent: null },
    ],
    brokenPipe: { matches: [], linesScanned: 120 },
    deaths: [],
    instances: { SUBJECT: { reflections: 14, state: 'thinking', error: null } },
    exitedEarly: null,
    ranMs: 60_200,
    stop: { code: 0, signal: null, ms: 300 },
    ...overrides,
  };
}

const statuses = (run: SelfTestRun) =>
  Object.fromEntries(selfTestVerdict(run).map((one) => [one.id, one.status])) as Record<string, ItemStatus>;
const figure = (run: SelfTestRun, id: string) => selfTestVerdict(run).find((one) => one.id === id)!.figure;

describe("the self-test's verdict", () => {
  it('passes a good run on a board without a GPU, the GPU items not applicable and said so', () => {
    assert.deepEqual(statuses(goodRun()), {
      'host-starts': 'pass',
      'watchdog-line': 'pass',
      'gpu-layers': 'n/a',
      panel: 'pass',
      ram: 'pass',
      'gpu-memory': 'n/a',
      'no-epipe': 'pass',
      'no-crash': 'pass',
      'clean-stop': 'pass',
    });
    assert.match(figure(goodRun(), 'gpu-layers'), /no GPU/);
    assert.match(figure(goodRun(), 'ram'), /peak 12\.1% of 24\.0 GB over 2 samples/);
    const text = formatVerdict(selfTestVerdict(goodRun()), 'self-test:');
    assert.match(text, /^ {2}N\/A {3}the plan puts some layers on the GPU/m);
    assert.match(text, /Result: PASS \(7 pass, 0 fail, 2 not applicable\)$/);
  });

  it('on a GPU, wants some layers on it in every plan: not none, not all, not -1', () => {
    const withLayers = (layers: Array<[number, number]>) => goodRun({ resources: orin, plan: planOf(orin, layers) });
    assert.equal(statuses(withLayers([[20, 33]]))['gpu-layers'], 'pass');
    assert.match(figure(withLayers([[20, 33]]), 'gpu-layers'), /SUBJECT 20\/33 layers on CUDA/);
    for (const bad of [
      [[33, 33]],
      [[0, 33]],
      [[-1, 33]],
      [
        [20, 33],
        [33, 33],
      ],
    ] as Array<Array<[number, number]>>) {
      assert.equal(statuses(withLayers(bad))['gpu-layers'], 'fail', JSON.stringify(bad));
    }
    assert.match(figure(withLayers([[33, 33]]), 'gpu-layers'), /all 33/);
  });

  it('says not applicable, with the figure, when only the demo model ran: it fits whole on any GPU', () => {
    const plan = planOf(orin, [[3, 3]]);
    if (plan.ok) plan.plan.instances[0]!.modelPath = '/tmp/self-test/models/demo.gguf';
    const run = goodRun({ resources: orin, plan });
    assert.equal(statuses(run)['gpu-layers'], 'n/a');
    assert.match(figure(run, 'gpu-layers'), /SUBJECT 3\/3 layers on CUDA: the demo model fits whole; --model FILE/);
  });

  it('fails the GPU item where a GPU is there but llama.cpp runs on the CPU', () => {
    const cpuOnOrin = { ...orin, backend: { ...cpuBoard.backend!, note: 'no CUDA build' } };
    const run = goodRun({ resources: cpuOnOrin, plan: planOf(cpuOnOrin, [[0, 33]]) });
    assert.equal(statuses(run)['gpu-layers'], 'fail');
    assert.match(figure(run, 'gpu-layers'), /runs on the CPU \(no CUDA build\)/);
  });

  it('holds RAM and GPU memory to below 80% over every sample', () => {
    const hot = goodRun({
      samples: [
        { ramPercent: 50, gpuPercent: 40 },
        { ramPercent: 80, gpuPercent: 79.9 },
      ],
    });
    assert.equal(statuses(hot).ram, 'fail');
    assert.equal(statuses(hot)['gpu-memory'], 'pass');
    assert.equal(statuses(goodRun({ samples: [] })).ram, 'fail', 'no samples is no evidence');
  });

  it('fails on a Broken pipe in the logs, a crash, an instance that never thought, a host that died', () => {
    const piped = goodRun({ brokenPipe: { matches: ['write EPIPE'], linesScanned: 9 } });
    assert.equal(statuses(piped)['no-epipe'], 'fail');
    assert.match(figure(piped, 'no-epipe'), /1 in 9 lines, first: write EPIPE/);
    const crashed = goodRun({ deaths: [{ instance: 'SUBJECT', cause: 'crash', message: 'SIGABRT' }] });
    assert.equal(statuses(crashed)['no-crash'], 'fail');
    const killed = goodRun({ deaths: [{ instance: 'SUBJECT', cause: 'ram-threshold', message: null }] });
    assert.equal(statuses(killed)['no-crash'], 'pass', 'a watchdog kill is not a crash');
    const idle = goodRun({ instances: { SUBJECT: { reflections: 0, state: 'blocked', error: 'bad model' } } });
    assert.match(figure(idle, 'no-crash'), /SUBJECT never finished a reflection \(blocked: bad model\)/);
    const died = goodRun({ exitedEarly: { code: 1, signal: null }, stop: null });
    assert.equal(statuses(died)['no-crash'], 'fail');
    assert.equal(statuses(died)['clean-stop'], 'n/a');
  });

  it('fails everything that needs a host when it never starts, with the reason', () => {
    const never = goodRun({
      readyMs: null,
      startFailure: 'exited (code 1) before it was ready: port in use',
      panel: null,
      panelAddress: null,
      watchdogStartLine: null,
      samples: [],
      stop: null,
      instances: {},
    });
    const verdict = statuses(never);
    assert.equal(verdict['host-starts'], 'fail');
    assert.equal(verdict.panel, 'fail');
    assert.equal(verdict['no-crash'], 'fail');
    assert.match(figure(never, 'host-starts'), /port in use/);
    assert.match(formatVerdict(selfTestVerdict(never), ''), /Result: FAIL/);
  });
});
