import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { HostSnapshot } from '../../shared/api.js';
import { NO_GPU, type BoardResources } from '../../shared/board.js';
import { DEFAULT_SETTINGS, SETTING_APPLIES } from '../../shared/settings.js';
import type { HostEvent, UnstampedEvent } from '../../shared/events.js';
import type { InstanceSnapshot } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import { applyEvent, applyPush, fromSnapshot, initialPanelState, LIMITS } from '../../renderer/state/panelState.js';

const subject: InstanceSnapshot = {
  instance: 'SUBJECT',
  state: 'thinking',
  pid: 10,
  deaths: 0,
  loadProgress: null,
  load: null,
  modelPath: '/m.gguf',
  demoModel: true,
  error: null,
  systemPrompt: null,
  reflections: [],
  partial: null,
  memoryBytes: null,
  resurrectAt: null,
};
const resources: BoardResources = {
  ramTotalBytes: 8 * 2 ** 30,
  ramAvailableBytes: 6 * 2 ** 30,
  cores: 4,
  gpu: NO_GPU,
  backend: null,
  source: 'test',
};
const snapshot: HostSnapshot = {
  sessionId: 's',
  dataDir: '/d',
  mode: 'single',
  instances: [subject],
  metrics: [],
  events: [],
  settings: { settings: DEFAULT_SETTINGS, applies: SETTING_APPLIES, notice: null },
  resources,
  plan: { ok: false, resources, error: { code: 'MODEL_INVALID', message: 'no model' } },
  watchdog: {
    enforcement: { kind: 'watchdog-only', label: 'watchdog only', reason: 'test' },
    thermal: { paused: false, hottest: null, thresholdC: 85 },
    holding: {},
    layerCaps: {},
    lines: [{ line: 'ram-threshold', mechanism: 'polling', label: 'polling every 1000 ms (10 ms near the line)' }],
  },
};

function frame(t: number, instances: MetricsFrame['instances'] = {}): MetricsFrame {
  return {
    t,
    ramTotalBytes: 1,
    ramUsedBytes: 0,
    ramPercent: 0,
    gpu: null,
    psi: null,
    temperaturesC: {},
    intervalMs: 1000,
    instances,
  };
}

/** Applies an event as the host sends it: stamped with its time. */
function apply(state: ReturnType<typeof fromSnapshot>, event: UnstampedEvent) {
  return applyEvent(state, { at: 1, ...event } as HostEvent);
}

function run(events: UnstampedEvent[]) {
  return events.reduce(apply, fromSnapshot(snapshot));
}

describe('panel state', () => {
  it('is empty until the snapshot, then holds it', () => {
    assert.equal(initialPanelState.ready, false);
    const state = applyPush(initialPanelState, { kind: 'snapshot', snapshot });
    assert.equal(state.ready, true);
    assert.equal(state.instances[0]!.instance, 'SUBJECT');
  });

  it('streams tokens into the current reflection and closes it when the record arrives', () => {
    let state = run([
      { type: 'instance.tokens', instance: 'SUBJECT', n: 1, text: 'I am', tokens: 2 },
      { type: 'instance.tokens', instance: 'SUBJECT', n: 1, text: ' here', tokens: 1 },
    ]);
    assert.equal(state.instances[0]!.partial?.text, 'I am here');
    state = apply(state, {
      type: 'instance.reflection',
      instance: 'SUBJECT',
      record: {
        instance: 'SUBJECT',
        n: 1,
        deaths: 0,
        text: 'I am here',
        tokens: 3,
        startedAt: 0,
        endedAt: 1,
        complete: true,
      },
    });
    assert.equal(state.instances[0]!.partial, null);
    assert.deepEqual(
      state.instances[0]!.reflections.map((r) => r.text),
      ['I am here'],
    );
  });

  it('shows a death, its count, and the pending resurrection', () => {
    const state = run([
      {
        type: 'instance.death',
        instance: 'SUBJECT',
        cause: 'signal',
        deaths: 1,
        pid: 10,
        signal: 'SIGKILL',
        exitCode: null,
        message: null,
        memoryBytes: 5,
        resurrectAt: 1234,
      },
      { type: 'instance.state', instance: 'SUBJECT', state: 'dead', pid: null },
    ]);
    const view = state.instances[0]!;
    assert.equal(view.deaths, 1);
    assert.equal(view.state, 'dead');
    assert.equal(view.resurrectAt, 1234);
    assert.equal(state.events.length, 2);
  });

  it('keeps reflections, events and metrics bounded however long it runs', () => {
    let state = fromSnapshot(snapshot);
    for (let n = 1; n <= LIMITS.reflections + 20; n++) {
      state = apply(state, {
        type: 'instance.reflection',
        instance: 'SUBJECT',
        record: {
          instance: 'SUBJECT',
          n,
          deaths: 0,
          text: `${n}`,
          tokens: 1,
          startedAt: n,
          endedAt: n,
          complete: true,
        },
      });
    }
    for (let i = 0; i < LIMITS.events + 20; i++) {
      state = apply(state, { type: 'log', level: 'warn', source: 'host', message: `${i}` });
    }
    for (let t = 0; t < LIMITS.metrics + 20; t++) {
      state = apply(state, {
        type: 'metrics.frame',
        frame: frame(t * 1000),
      });
    }
    assert.equal(state.instances[0]!.reflections.length, LIMITS.reflections);
    assert.equal(state.instances[0]!.reflections.at(-1)!.n, LIMITS.reflections + 20);
    assert.equal(state.events.length, LIMITS.events);
    assert.ok(state.metrics.length <= LIMITS.metrics);
    assert.equal(state.metrics.at(-1)!.t, (LIMITS.metrics + 19) * 1000);
  });

  it('keeps the instance memory from each frame, and none for a worker that is gone', () => {
    let state = run([
      {
        type: 'metrics.frame',
        frame: frame(1, {
          SUBJECT: {
            pid: 10,
            rssBytes: 99,
            rssAnonBytes: 9,
            rssFileBytes: 90,
            vramBytes: null,
            limitBytes: 6 * 2 ** 30,
            spare: false,
            killable: true,
            role: 'SUBJECT',
            tokensPerSecond: 5,
          },
        }),
      },
    ]);
    assert.equal(state.instances[0]!.memoryBytes, 99);
    state = apply(state, {
      type: 'metrics.frame',
      frame: frame(2),
    });
    assert.equal(state.instances[0]!.memoryBytes, null);
  });
});
