import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  addDeath,
  cutBy,
  deathLine,
  deathsBetween,
  deathsByRole,
  DEATHS_KEPT,
  newDeaths,
} from '../../renderer/state/deaths.js';
import { applyEvent, initialPanelState } from '../../renderer/state/panelState.js';
import type { HostEvent } from '../../shared/events.js';
import type { ReflectionRecord } from '../../shared/instances.js';
import type { DeathSummary } from '../../shared/postMortem.js';

function death(at: number, fields: Partial<DeathSummary> = {}): DeathSummary {
  const deaths = fields.deaths ?? at;
  return {
    id: `s/${fields.instance ?? 'SUBJECT'}/${deaths}`,
    instance: 'SUBJECT',
    at,
    deaths,
    cause: 'signal',
    signal: 'SIGKILL',
    exitCode: null,
    message: null,
    memoryBytes: 1,
    limitBytes: 2,
    ramUsedBytes: 3,
    ramTotalBytes: 4,
    ramThreshold: 90,
    warnThreshold: 70,
    reactionMs: null,
    ...fields,
  };
}

function thought(
  endedAt: number,
  complete: boolean,
  instance: ReflectionRecord['instance'] = 'SUBJECT',
): ReflectionRecord {
  return { instance, n: 1, deaths: 0, text: 'x', tokens: 1, startedAt: endedAt - 100, endedAt, complete };
}

describe('the deaths the panel shows', () => {
  it('keeps each death once, in time order, bounded', () => {
    let deaths: DeathSummary[] = [];
    for (let at = 1; at <= DEATHS_KEPT + 20; at++) deaths = addDeath(deaths, death(at));
    deaths = addDeath(deaths, death(50));
    assert.equal(deaths.length, DEATHS_KEPT);
    assert.equal(deaths[0]!.at, 21, 'the oldest go first');
    assert.equal(new Set(deaths.map((one) => one.id)).size, DEATHS_KEPT, 'a death heard twice is kept once');
    const late = addDeath([death(10), death(30)], death(20));
    assert.deepEqual(
      late.map((one) => one.at),
      [10, 20, 30],
    );
  });

  it('says which death cut a thought short, and none for a complete one or a graceful stop', () => {
    const deaths = [death(10_000, { deaths: 1 }), death(50_000, { deaths: 2, instance: 'GOD' })];
    assert.equal(cutBy(thought(9990, false), deaths)?.deaths, 1);
    assert.equal(cutBy(thought(9990, true), deaths), null, 'a complete thought was not cut');
    assert.equal(cutBy(thought(30_000, false), deaths), null, 'cut by a stop: no death near it');
    assert.equal(cutBy(thought(50_000, false), deaths), null, "another role's death did not cut it");
  });

  it('names who died and why; a chart marks only the deaths in its range; the alert only new ones', () => {
    const deaths = [
      death(10, { deaths: 1 }),
      death(20, { deaths: 2, instance: 'GOD', cause: 'ram-threshold', signal: 'SIGTERM' }),
    ];
    assert.equal(deathLine(deaths[1]!), 'GOD died: ram-threshold (SIGTERM), death 2');
    assert.deepEqual(deathsBetween(deaths, 15, 30), [deaths[1]]);
    assert.deepEqual(Object.keys(deathsByRole(deaths)), ['SUBJECT', 'GOD']);
    assert.deepEqual(newDeaths(deaths, new Set([deaths[0]!.id])), [deaths[1]]);
  });

  it('takes a death from its event, post-mortem and all', () => {
    const summary = death(10, { deaths: 1 });
    const event = {
      type: 'instance.death',
      at: 10,
      instance: 'SUBJECT',
      cause: 'signal',
      deaths: 1,
      pid: 1,
      signal: 'SIGKILL',
      exitCode: null,
      message: null,
      memoryBytes: 1,
      resurrectAt: null,
      postMortem: summary,
    } satisfies HostEvent;
    assert.deepEqual(applyEvent(initialPanelState, event).deaths, [summary]);
    const { postMortem: _none, ...older } = event;
    assert.deepEqual(applyEvent(initialPanelState, older).deaths, [], 'a death from an older host has no figures');
  });
});
