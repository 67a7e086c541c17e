import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  FD_GROWTH_BOUND,
  RSS_GROWTH_BOUND_MB,
  printSoak,
  soakFailures,
  type SoakFigures,
} from '../../bench/soakVerdict.js';

/** The figures of the 1-minute soak run on the build machine (seed 360204), which passed. */
function passingRun(): SoakFigures {
  return {
    minutes: 1,
    seed: 360204,
    host: { pid: 19807, rssStartMb: 80.4, rssEndMb: 77.8, fdsStart: 35, fdsEnd: 36 },
    kills: { sent: 3, external: 1, api: 2, skipped: 0 },
    deaths: { events: 3, eventsFile: 3, deathsFile: 3, api: 3, byCause: { killed: 2, signal: 1 } },
    unmatchedKills: [],
    zombies: [],
    caught: 0,
    unhandled: [],
    calls: { valid: 29, validOk: 29, invalid: 35, invalidRefused: 35, badAnswers: [], invalidAccepted: [] },
    exit: { code: 0, signal: null },
  };
}

test('a run whose kills all became deaths, flat and clean, passes and says so', () => {
  const figures = passingRun();
  assert.deepEqual(soakFailures(figures), []);
  assert.match(printSoak(figures, []), /^soak: PASSED$/m);
});

test('a death missing from any one record fails the run, naming the record and the causes', () => {
  const figures = passingRun();
  figures.deaths.deathsFile = 2;
  const failures = soakFailures(figures);
  assert.deepEqual(failures, ['3 kills sent but 2 deaths in deaths.json (causes: killed 2, signal 1)']);
  assert.match(printSoak(figures, failures), /^soak: FAILED: 3 kills sent but 2 deaths in deaths\.json/m);
});

test('a death the run did not cause (the watchdog) is a mismatch too', () => {
  const figures = passingRun();
  figures.deaths = {
    events: 4,
    eventsFile: 4,
    deathsFile: 4,
    api: 4,
    byCause: { killed: 2, signal: 1, 'ram-threshold': 1 },
  };
  assert.equal(soakFailures(figures).length, 4);
  assert.match(soakFailures(figures)[0]!, /ram-threshold 1/);
});

test('zombies, a last-resort catch, an unhandled error and a bad answer each fail the run', () => {
  const figures = passingRun();
  figures.zombies = ['4242 (node)'];
  figures.caught = 1;
  figures.unhandled = ['(stderr)     at WebServer.serveFile (file:///x.js:1:2)'];
  figures.calls.badAnswers = ['board.refresh: INTERNAL'];
  figures.calls.invalidAccepted = ['settings.set params.ramThreshold: above the maximum'];
  const failures = soakFailures(figures);
  assert.equal(failures.length, 5);
  assert.match(failures.join('\n'), /zombies at the end: 4242 \(node\)/);
  assert.match(failures.join('\n'), /caught 1 errors/);
  assert.match(failures.join('\n'), /bad answers: board.refresh: INTERNAL/);
});

test('RSS and fd growth fail only past their stated bounds', () => {
  const figures = passingRun();
  figures.host.rssEndMb = figures.host.rssStartMb + RSS_GROWTH_BOUND_MB;
  figures.host.fdsEnd = figures.host.fdsStart + FD_GROWTH_BOUND;
  assert.deepEqual(soakFailures(figures), []);
  figures.host.rssEndMb += 1;
  figures.host.fdsEnd += 1;
  assert.deepEqual(soakFailures(figures), [
    `host RSS grew ${RSS_GROWTH_BOUND_MB + 1} MB (bound ${RSS_GROWTH_BOUND_MB} MB)`,
    `host fds grew from 35 to ${35 + FD_GROWTH_BOUND + 1} (bound +${FD_GROWTH_BOUND})`,
  ]);
});

test('a run with no kill, no last-resort count or an unclean exit measured nothing it can vouch for', () => {
  const figures = passingRun();
  figures.kills = { sent: 0, external: 0, api: 0, skipped: 4 };
  figures.deaths = { events: 0, eventsFile: 0, deathsFile: 0, api: 0, byCause: {} };
  figures.caught = null;
  figures.exit = { code: 1, signal: null };
  assert.deepEqual(soakFailures(figures), [
    'the snapshot does not say the last-resort count',
    'no kill was sent: the run measured nothing',
    'the host did not exit cleanly when asked to stop ({"code":1,"signal":null})',
  ]);
});
