import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { logLines, repeatText } from '../../renderer/state/eventLines.js';
import { describeSettingsChange } from '../../renderer/state/settingsChange.js';
import type { HostEvent } from '../../shared/events.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

const critical = (at: number): HostEvent => ({
  type: 'watchdog.critical',
  reason: 'ram-threshold',
  instance: null,
  value: 95,
  threshold: 90,
  at,
});
const death = (at: number, deaths = 1): HostEvent =>
  ({
    type: 'instance.death',
    instance: 'SUBJECT',
    at,
    deaths,
    cause: 'killed',
    signal: 'SIGKILL',
    memoryBytes: null,
    message: null,
    resurrectAt: null,
  }) as unknown as HostEvent;
const all = { kind: 'all', instance: 'all' } as const;

/** The log's words for these events, as EventLog.tsx has them (a .tsx the Node side's tsconfig does not read). */
function describeEvent(event: HostEvent): string | null {
  if (event.type === 'watchdog.critical') return `Watchdog: ${event.reason} crossed; re-reading`;
  if (event.type === 'instance.death') return `${event.instance} died: ${event.cause}, death ${event.deaths}`;
  if (event.type === 'plan.changed' && event.outcome.ok) {
    return `Plan: ${event.outcome.plan.instances.map((one) => `${one.instance} ctx ${one.contextSize}`).join('; ')}`;
  }
  return null;
}

describe('the event log', () => {
  it('collapses a run of identical lines into one with its count and span', () => {
    const events = [
      death(0),
      ...Array.from({ length: 115 }, (_, index) => critical(1000 + index * 235)),
      death(30_000, 2),
    ];
    const lines = logLines(events, describeEvent, all);
    assert.equal(lines.length, 3, 'two deaths and one line for the flood');
    assert.match(lines[1]!.text, /ram-threshold crossed/);
    assert.equal(repeatText(lines[1]!), 'x115 in 27 s');
    assert.equal(repeatText(lines[0]!), '', 'a line said once has no count');
  });

  it('joins a repeat to its line across a few others, and moves the joined line to the newest place', () => {
    const events = [critical(0), death(1), critical(10_000), critical(20_000)];
    const lines = logLines(events, describeEvent, all);
    assert.deepEqual(
      lines.map((line) => [line.type, line.count]),
      [
        ['watchdog.critical', 3],
        ['instance.death', 1],
      ],
    );
    assert.equal(repeatText(lines[0]!), 'x3 in 20 s');
  });

  it('filters by kind and by instance', () => {
    const events = [death(0), critical(1), critical(2)];
    assert.deepEqual(
      logLines(events, describeEvent, { kind: 'deaths', instance: 'all' }).map((line) => line.type),
      ['instance.death'],
    );
    assert.deepEqual(
      logLines(events, describeEvent, { kind: 'watchdog', instance: 'all' }).map((line) => line.count),
      [2],
    );
    assert.equal(logLines(events, describeEvent, { kind: 'all', instance: 'GOD' }).length, 0);
    assert.equal(logLines(events, describeEvent, { kind: 'all', instance: 'SUBJECT' }).length, 1);
  });

  it('leaves out a plan line that says what the one before said, even with other lines between', () => {
    const plan = (at: number, context: number): HostEvent =>
      ({
        type: 'plan.changed',
        at,
        outcome: {
          ok: true,
          plan: { instances: [{ instance: 'SUBJECT', gpuLayers: 0, totalLayers: 3, contextSize: context }] },
        },
      }) as unknown as HostEvent;
    const lines = logLines([plan(0, 2048), death(1), plan(2, 2048), plan(3, 1024)], describeEvent, all);
    assert.deepEqual(
      lines.map((line) => line.type),
      ['plan.changed', 'instance.death', 'plan.changed'],
    );
    assert.match(lines[0]!.text, /ctx 1024/);
  });

  it('says a settings change as old -> new, with the names the panel uses', () => {
    const settings = { ...DEFAULT_SETTINGS, ramThreshold: 80, ramLimitsGb: { SUBJECT: 0.5, GOD: 2 } };
    assert.equal(
      describeSettingsChange({
        changed: ['ramThreshold', 'ramLimitsGb'],
        settings,
        previous: { ramThreshold: 90, ramLimitsGb: { GOD: 2 } },
      }),
      "Settings: RAM threshold 90% -> 80%; SUBJECT's RAM limit default -> 0.5 GB",
    );
    assert.equal(
      describeSettingsChange({ changed: ['graceS'], settings, previous: { graceS: 2 } }),
      'Settings: Grace 2 s -> 2 s',
    );
    // Recorded before the events carried the old values.
    assert.equal(describeSettingsChange({ changed: ['ramThreshold'], settings }), 'Settings changed: RAM threshold');
  });
});
