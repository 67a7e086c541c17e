import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { MIB } from '../../shared/board.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import { killGroup } from '../../electron/core/toolProcess.js';
import { childrenNaming, nvidiaSmiStandIn, type StandIn, type StandInBehaviour } from '../helpers/gpuStandIns.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { WsClient } from '../helpers/wsClient.js';

/**
 * A real headless host whose nvidia-smi (BRAIN_IN_JAR_NVIDIA_SMI) is broken in one of the ways seen on boards: it
 * hangs ignoring SIGTERM, hangs with a child that ignores it too, prints garbage, prints one line and exits, or goes
 * quiet. The host is ready in seconds whatever the tool does, samples the RAM throughout, leaves no process of the
 * tool behind, shows GPU figures only while they are live, and backs its restarts off. (A process in D state, which
 * SIGKILL cannot end, cannot be made here: tests/unit/toolQuery.test.ts covers abandoning one, with a kill it
 * survives.)
 */

/** nvidia-smi's -lms monitor restarts a tool that gives no usable line for this long (the host's 250 ms x 8, or 3 s). */
const STALE_MS = 3000;
/** Frames come about every second (--interval 0.5); a longer gap than this is sampling that stopped. */
const FRAME_GAP_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const standIns: StandIn[] = [];
after(() => {
  for (const made of standIns) {
    for (const pid of made.processes()) killGroup(pid, 'SIGKILL');
    made.remove();
  }
});

interface Run {
  host: HostProcess;
  tool: StandIn;
  spawnedAt: number;
  readyMs: number;
  /** The most processes of the tool seen alive at once (sampled every 50 ms). */
  most: number;
  /** Processes of the tool left two seconds after the host stopped. */
  left: number[];
  frames: MetricsFrame[];
}

/**
 * Runs a host with the stand-in until `watchMs` after the board refresh answered (the backend probe and nvidia-smi's
 * query, up to its 5 s deadline), doing `during` once it has; stops it and looks for leftovers.
 */
async function hostWith(
  query: StandInBehaviour,
  monitor: StandInBehaviour,
  watchMs: number,
  during?: (host: HostProcess, url: string) => Promise<void>,
): Promise<Run> {
  const tool = nvidiaSmiStandIn(query, monitor);
  standIns.push(tool);
  const spawnedAt = Date.now();
  const host = HostProcess.start(['--no-autostart', '--interval', '0.5'], {
    env: { BRAIN_IN_JAR_NVIDIA_SMI: tool.path },
  });
  let most = 0;
  const sampling = setInterval(() => (most = Math.max(most, tool.processes().length)), 50);
  let readyMs: number;
  try {
    const ready = await host.waitFor('host.ready', () => true, 10_000);
    readyMs = host.arrivalOf(ready) - spawnedAt;
    await host.waitFor('board.resources', () => true, 20_000);
    await during?.(host, ready.url);
    await sleep(watchMs);
  } finally {
    clearInterval(sampling);
    await host.stop();
  }
  const stoppedAt = Date.now();
  while (tool.processes().length > 0 && Date.now() - stoppedAt < 2000) await sleep(50);
  return { host, tool, spawnedAt, readyMs, most, left: tool.processes(), frames: framesOf(host) };
}

function framesOf(host: HostProcess): MetricsFrame[] {
  return host.of('metrics.frame').map((event) => event.frame);
}

/** What every broken tool must leave true: ready in time, the RAM sampled throughout, nothing left, no negatives. */
function assertHostUnharmed(run: Run): void {
  assert.ok(run.readyMs < 5000, `host.ready ${run.readyMs} ms after spawn`);
  assert.ok(run.frames.length >= 5, `${run.frames.length} metrics frames`);
  const first = run.frames[0]!.t - run.spawnedAt;
  assert.ok(first < 5000, `the first frame (the watchdog sampling) ${first} ms after spawn`);
  for (const [i, frame] of run.frames.entries()) {
    assert.ok(frame.ramPercent > 0 && frame.ramPercent <= 100, `ramPercent ${frame.ramPercent}`);
    if (i > 0) assert.ok(frame.t - run.frames[i - 1]!.t < FRAME_GAP_MS, `a ${frame.t - run.frames[i - 1]!.t} ms gap`);
    for (const value of [frame.gpu?.memoryUsedBytes, frame.gpu?.memoryTotalBytes, frame.gpu?.percent]) {
      assert.ok(value === undefined || value === null || value >= 0, `a GPU figure of ${value}`);
    }
  }
  assert.deepEqual(run.left, [], 'no process of the tool outlives the host');
}

/** The frames after the host found the GPU (the board refresh), and the GPU it found. */
function afterBoard(run: Run) {
  const board = run.host.of('board.resources').at(-1);
  assert.ok(board, 'the board refresh answered');
  const at = run.host.arrivalOf(board);
  return { gpu: board.resources.gpu, frames: run.frames.filter((frame) => frame.t >= at) };
}

describe('a broken nvidia-smi never takes the host down', { timeout: 240_000 }, () => {
  it('one that hangs ignoring SIGTERM: ready at once, the GPU unknown, the query killed', async (t) => {
    const run = await hostWith('hang', 'hang', 2000);
    t.diagnostic(`host.ready ${run.readyMs} ms after spawn, first frame ${run.frames[0]!.t - run.spawnedAt} ms`);
    assertHostUnharmed(run);
    const { gpu } = afterBoard(run);
    assert.equal(gpu.kind, 'none');
    assert.equal(gpu.note, 'nvidia-smi did not answer in 5 s; killed');
    assert.ok(
      run.host.of('log').some((event) => event.level === 'warn' && event.message === `GPU unknown: ${gpu.note}`),
      'the host says so',
    );
    // Never two at once: start-up's query is shared by the board refresh (a second one only if the probe took longer
    // than the first query's deadline), and the -lms monitor never starts on a GPU nobody found.
    assert.equal(run.most, 1);
    assert.ok(run.tool.starts().length <= 2);
    assert.ok(run.tool.starts().every((start) => !start.monitor));
  });

  it('one whose query hangs with a child: one process group per query, killed; a flood of refreshes shares one', async () => {
    let probes = 0;
    let floodAt = 0;
    let answers: unknown[] = [];
    const run = await hostWith('hang-child', 'hang-child', 1000, async (host, url) => {
      // Twenty at once from four clients: one client's calls beyond its in-flight limit would wait their turn.
      const clients = await Promise.all(Array.from({ length: 4 }, () => WsClient.connect(url)));
      const counting = setInterval(
        () => (probes = Math.max(probes, childrenNaming(host.pid, 'worker/probe').length)),
        25,
      );
      floodAt = Date.now();
      answers = await Promise.all(
        clients.flatMap((client) => Array.from({ length: 5 }, () => client.call('board.refresh', {}))),
      );
      clearInterval(counting);
      for (const client of clients) client.close();
    });
    assertHostUnharmed(run);
    assert.ok(
      answers.every((answer) => JSON.stringify(answer) === JSON.stringify(answers[0])),
      'one answer for all',
    );
    assert.equal((answers[0] as { ok: boolean }).ok, true);
    assert.equal(probes, 1, 'one backend probe for twenty refreshes');
    // One query for the flood, killed with its child at the deadline like the one before it.
    assert.equal(run.tool.starts().filter((start) => start.at >= floodAt).length, 1);
    assert.equal(run.most, 2, 'the script and its child, never more');
  });

  it('one that answers the inventory, then hangs with a child under -lms: GPU figures unknown, no leak', async () => {
    const run = await hostWith('good', 'hang-child', 8000);
    assertHostUnharmed(run);
    const { gpu, frames } = afterBoard(run);
    assert.equal(gpu.kind, 'nvidia');
    assert.ok(frames.length >= 4);
    for (const frame of frames) {
      assert.equal(frame.gpu!.memoryUsedBytes, null);
      assert.equal(frame.gpu!.percent, null);
      assert.ok(['waiting', 'stale'].includes(frame.gpu!.tool!.state), frame.gpu!.tool!.state);
    }
    assert.ok(frames.some((frame) => /^nvidia-smi not answering for \d+ s$/.test(frame.gpu!.tool!.note)));
    // Killed with its group after 3 s of silence, then again 0.5 s later plus 3 s: a few, each alone.
    const monitors = run.tool.starts().filter((start) => start.monitor);
    assert.ok(monitors.length >= 2 && monitors.length <= 3, `${monitors.length} monitor starts`);
    assert.ok(run.most <= 2, `${run.most} processes at once`);
  });

  it('one that prints garbage: never a GPU with negative memory, the figures unknown', async () => {
    const run = await hostWith('garbage', 'garbage', 7000);
    assertHostUnharmed(run);
    const { gpu, frames } = afterBoard(run);
    assert.equal(gpu.kind, 'nvidia');
    assert.equal(gpu.memoryTotalBytes, null);
    assert.match(gpu.note ?? '', /^nvidia-smi gave values no GPU can have/);
    for (const frame of frames) {
      assert.equal(frame.gpu!.memoryUsedBytes, null);
      assert.equal(frame.gpu!.loadPercent, null);
      assert.notEqual(frame.gpu!.tool!.state, 'live');
    }
    assert.ok(frames.some((frame) => /^nvidia-smi prints no usable figures/.test(frame.gpu!.tool!.note)));
  });

  it('one that prints a line and exits: restarted, backed off (a few in 6 s, not twelve)', async (t) => {
    const run = await hostWith('one-line', 'one-line', 8000);
    assertHostUnharmed(run);
    const monitors = run.tool.starts().filter((start) => start.monitor);
    const first = monitors[0]!.at;
    // 0, 0.5, 1.5, 3.5 s (then 7.5): four starts in the first 6 s; restarted every 500 ms it would be twelve.
    const inSix = monitors.filter((start) => start.at - first < 6000).length;
    t.diagnostic(`${inSix} starts of nvidia-smi -lms in 6 s`);
    assert.ok(inSix >= 3 && inSix <= 5, `${inSix} starts in 6 s`);
    const restarts = run.host
      .of('log')
      .filter((event) => /^nvidia-smi exited \(code 0\); restarting it in/.test(event.message));
    assert.deepEqual(
      restarts.slice(0, 4).map((event) => /in ([\d.]+) s$/.exec(event.message)![1]),
      ['0.5', '1', '2', '4'],
    );
  });

  it('one that goes quiet: its last figures are not shown as live', async () => {
    const run = await hostWith('good', 'stale', 7000);
    assertHostUnharmed(run);
    const { frames } = afterBoard(run);
    const printed = run.tool.printed();
    const live = frames.filter((frame) => frame.gpu!.memoryUsedBytes !== null);
    assert.ok(live.length > 0, 'live figures while it prints');
    for (const frame of live) {
      assert.equal(frame.gpu!.memoryUsedBytes, 682 * MIB);
      assert.equal(frame.gpu!.tool!.state, 'live');
      const latest = Math.max(...printed.filter((at) => at <= frame.t));
      assert.ok(frame.t - latest <= STALE_MS + 500, `a frame ${frame.t - latest} ms after the last line shown as live`);
    }
    const stale = frames.filter((frame) => frame.gpu!.tool!.state === 'stale');
    assert.ok(stale.length > 0, 'stale frames once it is quiet');
    for (const frame of stale) {
      assert.equal(frame.gpu!.memoryUsedBytes, null);
      assert.match(frame.gpu!.tool!.note, /^nvidia-smi not answering for \d+ s$/);
    }
  });
});
