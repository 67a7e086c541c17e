import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { CDPSession, Page } from 'playwright-core';

import { findRendererDir, WebServer } from '../electron/core/web/webServer.js';
import type { HostSnapshot, ServerPush } from '../shared/api.js';
import type { HostEvent } from '../shared/events.js';
import type { MetricsFrame } from '../shared/metrics.js';
import type { DeathSummary } from '../shared/postMortem.js';
import { launchBrowser } from '../tests/helpers/browser.js';
import { HostProcess } from '../tests/helpers/hostProcess.js';
import { WsClient } from '../tests/helpers/wsClient.js';
import { formatTable, median, round } from './stats.js';

/**
 * The renderer under the heaviest load it will see: three instances streaming at full speed, all charts visible over
 * the 1 h window. The stream is real: a matrix host (three workers on the demo model, no pause between thoughts) is
 * recorded over the WebSocket, then replayed in a loop by the real web transport, with an hour of history made by
 * repeating the recorded metrics frames. Chromium measures, from its own trace, the main-thread work of every frame it
 * draws (the time the renderer spends making that frame: scripts, React, recharts, style, layout, paint); the page
 * also records the intervals between animation frames (a dropped frame shows as a long interval). The JS heap is read
 * after a forced garbage collection, before and after each run.
 *
 * Baseline, side by side: the same page with the same hour of history and no stream (what the page costs at rest).
 */

const RECORD_MS = 30_000;
const RUN_MS = 30_000;
const WARMUP_MS = 5000;
const FRAME_BUDGET_MS = 1000 / 60;
/** The target for the p95 frame work while three instances stream, with death markers and an hour of history. */
const TARGET_P95_MS = 8;
/** Real deaths in the recording: SIGKILLs of SUBJECT and then OBSERVER, this far into it. */
const KILLS_AT_MS = { SUBJECT: 10_000, OBSERVER: 20_000 } as const;
/** The hour of history carries a death a minute: the markers a bad hour leaves on the charts. */
const HISTORY_DEATH_EVERY_MS = 60_000;

export interface RunFigures {
  frames: number;
  /** Death markers on the charts when measuring began: the hour's deaths inside the 1 h window, on every chart. */
  markers: number;
  frameWorkP50Ms: number;
  frameWorkP95Ms: number;
  /**
   * The same frames' CPU time (the trace's thread time): what the panel costs the machine, which a busy machine's
   * waiting for a core does not inflate as it does the wall-clock figures.
   */
  frameCpuP50Ms: number;
  frameCpuP95Ms: number;
  /** The redraws of the charts (once per bucket) are the longest frames. */
  frameWorkMaxMs: number;
  intervalP95Ms: number;
  /** Intervals longer than 1.5 frames: frames the display missed. */
  droppedPercent: number;
  heapBeforeMb: number;
  heapAfterMb: number;
}

export interface RendererResult {
  runs: number;
  runSeconds: number;
  recorded: { seconds: number; events: number; tokensPerSecond: Record<string, number> };
  historyFrames: number;
  /** Deaths in the history and in each loop of the stream (markers on the charts). */
  historyDeaths: number;
  streamDeaths: number;
  idle: RunFigures;
  streaming: RunFigures;
  /** streaming p95 frame work / idle p95 frame work. */
  p95Ratio: number;
  /** streaming heap after / before. */
  heapRatio: number;
  target: { p95Ms: number; met: boolean };
}

export interface Recording {
  snapshot: HostSnapshot;
  events: Array<{ offsetMs: number; event: HostEvent }>;
}

/** A real matrix host at full speed, recorded from its WebSocket as the panel would receive it. */
async function record(log: (line: string) => void): Promise<Recording> {
  const host = HostProcess.startBuilt([
    '--mode',
    'matrix',
    '--threads',
    '1',
    '--think-pause',
    '0',
    '--max-tokens',
    '64',
    '--resurrect-delay',
    '1',
  ]);
  try {
    await host.waitUntil(
      () => (host.of('instance.loaded').length >= 3 ? true : undefined),
      'three loaded instances',
      120_000,
    );
    const client = await WsClient.connect((await host.waitFor('host.ready')).url);
    let snapshot: HostSnapshot | null = null;
    const events: Recording['events'] = [];
    let started = 0;
    const hear = (push: ServerPush) => {
      if (push.kind === 'snapshot') {
        snapshot = push.snapshot;
        started = Date.now();
      } else if (snapshot) events.push({ offsetMs: Date.now() - started, event: push.event });
    };
    // The snapshot can come in the same read as the socket's opening, before a listener could be added.
    for (const push of client.pushes) hear(push);
    client.onPush(hear);
    log(`renderer: recording ${RECORD_MS / 1000} s of a matrix host streaming at full speed, with two deaths...`);
    const kills = Object.entries(KILLS_AT_MS).map(([role, ms]) =>
      setTimeout(() => {
        const pid = host.of('instance.state').findLast((event) => event.instance === role)?.pid;
        if (pid) process.kill(pid, 'SIGKILL');
      }, ms),
    );
    await new Promise((resolve) => setTimeout(resolve, RECORD_MS));
    for (const kill of kills) clearTimeout(kill);
    client.close();
    if (!snapshot) throw new Error('renderer bench: no snapshot from the host');
    return { snapshot, events };
  } finally {
    await host.stop();
  }
}

/** An hour of frames, a frame a second ending now, made by repeating the recorded ones. */
function hourOfHistory(recorded: MetricsFrame[], now: number): MetricsFrame[] {
  if (recorded.length === 0) throw new Error('renderer bench: the recording holds no metrics frames');
  return Array.from({ length: 3600 }, (_, index) => ({
    ...recorded[index % recorded.length]!,
    t: now - (3599 - index) * 1000,
  }));
}

/** A death a minute over the hour before now, made from the recorded ones, oldest first, counts rising. */
function hourOfDeaths(recording: Recording, now: number): HostEvent[] {
  const deaths = recording.events.flatMap((entry) => (entry.event.type === 'instance.death' ? [entry.event] : []));
  if (deaths.length === 0) throw new Error('renderer bench: the recording holds no deaths to mark');
  const count = Math.floor(3_600_000 / HISTORY_DEATH_EVERY_MS);
  return Array.from({ length: count }, (_, index) => {
    const death = deaths[index % deaths.length]!;
    const at = now - (count - index) * HISTORY_DEATH_EVERY_MS;
    // Its post-mortem too, as the host keeps it: that is what puts a marker on every chart.
    const postMortem = death.postMortem && {
      ...death.postMortem,
      id: `${death.postMortem.id}-history-${index}`,
      at,
      deaths: index + 1,
    };
    return { ...death, at, deaths: index + 1, resurrectAt: at + 1000, postMortem };
  });
}

/** The snapshot's deaths for the hour: the post-mortems of `hourOfDeaths`, which the charts mark. */
function markersOf(deaths: HostEvent[]): DeathSummary[] {
  const summaries = deaths.flatMap((event) =>
    event.type === 'instance.death' && event.postMortem ? [event.postMortem] : [],
  );
  if (summaries.length !== deaths.length) throw new Error('renderer bench: a recorded death has no post-mortem');
  return summaries;
}

export function deathsIn(recording: Recording): number {
  return recording.events.filter((entry) => entry.event.type === 'instance.death').length;
}

/**
 * Replays the recording in a loop, at the pace it was recorded, with times moved to now and reflection numbers moved
 * on each loop (as a live host's would be).
 */
class Replay {
  private readonly listeners = new Set<(event: HostEvent) => void>();
  private timer: NodeJS.Timeout | null = null;
  private readonly spanMs: number;
  private readonly numberStep: number;

  constructor(
    private readonly recording: Recording,
    private readonly stream: boolean,
  ) {
    this.spanMs = (recording.events.at(-1)?.offsetMs ?? 0) + 100;
    const numbers = recording.events.flatMap((entry) =>
      entry.event.type === 'instance.reflection' ? [entry.event.record.n] : [],
    );
    this.numberStep = Math.max(0, ...numbers) + 1;
  }

  snapshot(): HostSnapshot {
    const frames = this.recording.events.flatMap((entry) =>
      entry.event.type === 'metrics.frame' ? [entry.event.frame] : [],
    );
    const now = Date.now();
    const deaths = hourOfDeaths(this.recording, now);
    return {
      ...this.recording.snapshot,
      metrics: hourOfHistory(frames, now),
      events: [...this.recording.snapshot.events, ...deaths],
      deaths: markersOf(deaths),
    };
  }

  subscribe(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.stream && !this.timer) this.play(0, 0, Date.now());
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private play(index: number, loop: number, loopStart: number): void {
    const entries = this.recording.events;
    if (index >= entries.length) {
      this.play(0, loop + 1, loopStart + this.spanMs);
      return;
    }
    const entry = entries[index]!;
    const due = loopStart + entry.offsetMs;
    this.timer = setTimeout(
      () => {
        const event = this.restamp(entry.event, loop);
        for (const listener of this.listeners) listener(event);
        this.play(index + 1, loop, loopStart);
      },
      Math.max(0, due - Date.now()),
    );
  }

  private restamp(event: HostEvent, loop: number): HostEvent {
    const now = Date.now();
    const step = loop * this.numberStep;
    switch (event.type) {
      case 'metrics.frame':
        return { ...event, frame: { ...event.frame, t: now }, at: now };
      case 'instance.tokens':
        return { ...event, n: event.n + step, at: now };
      case 'instance.reflection':
        return { ...event, record: { ...event.record, n: event.record.n + step, endedAt: now }, at: now };
      case 'instance.death':
        return {
          ...event,
          at: now,
          resurrectAt: event.resurrectAt === null ? null : now + (event.resurrectAt - event.at),
        };
      case 'watchdog.samples':
        return { ...event, samples: event.samples.map((sample) => ({ ...sample, t: now })), at: now };
      default:
        return { ...event, at: now };
    }
  }
}

/**
 * Main-thread work of each frame the renderer drew: the tasks that ran since the previous frame ended, in wall-clock
 * and in CPU time.
 */
function frameWork(traceEvents: TraceEvent[]): { work: number[]; cpu: number[] } {
  const threads = new Map<string, string>();
  for (const event of traceEvents)
    if (event.name === 'thread_name') threads.set(`${event.pid}:${event.tid}`, String(event.args?.name));
  const onMain = (event: TraceEvent) => threads.get(`${event.pid}:${event.tid}`) === 'CrRendererMain';
  const frameEnds = traceEvents
    .filter((event) => event.name === 'AnimationFrame' && event.ph === 'e' && onMain(event))
    .map((event) => event.ts)
    .sort((a, b) => a - b);
  const tasks = traceEvents
    .filter((event) => event.name === 'RunTask' && event.ph === 'X' && onMain(event))
    .map((event) => ({ start: event.ts, duration: event.dur ?? 0, cpu: event.tdur ?? event.dur ?? 0 }))
    .sort((a, b) => a.start - b.start);
  const work: number[] = [];
  const cpu: number[] = [];
  let next = 0;
  for (let frame = 1; frame < frameEnds.length; frame++) {
    let sum = 0;
    let cpuSum = 0;
    while (next < tasks.length && tasks[next]!.start <= frameEnds[frame]!) {
      if (tasks[next]!.start > frameEnds[frame - 1]!) {
        sum += tasks[next]!.duration;
        cpuSum += tasks[next]!.cpu;
      }
      next++;
    }
    work.push(sum / 1000);
    cpu.push(cpuSum / 1000);
  }
  return { work, cpu };
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of a complete event. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

/** Page script (a string: it runs in Chromium, not here): the intervals between animation frames for `runMs`. */
function intervalRecorder(runMs: number): string {
  return `new Promise((resolve) => {
    const deltas = [];
    const end = performance.now() + ${runMs};
    let last = performance.now();
    const tick = (now) => {
      deltas.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(tick);
      else resolve(deltas.slice(1));
    };
    requestAnimationFrame(tick);
  })`;
}

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

async function heapMb(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = await cdp.send('Runtime.getHeapUsage');
  return usage.usedSize / 2 ** 20;
}

/** The real web transport serving the built panel, fed by a replay instead of a host. */
export async function serveReplay(
  recording: Recording,
  stream: boolean,
  rendererDir = findRendererDir(),
): Promise<{ url: string; close(): Promise<void> }> {
  if (!rendererDir) throw new Error('renderer bench: dist/renderer is missing; npm run bench builds it first');
  const replay = new Replay(recording, stream);
  const quiet = { info() {}, warn() {}, error() {} };
  const web = new WebServer({
    host: '127.0.0.1',
    port: 0,
    api: {
      call: () => Promise.resolve({ ok: false, error: { code: 'BAD_STATE', message: 'a replay takes no calls' } }),
    },
    snapshot: () => replay.snapshot(),
    subscribe: (listener) => replay.subscribe(listener),
    log: quiet,
    rendererDir,
  });
  const url = await web.listen();
  return {
    url,
    async close() {
      replay.stop();
      await web.close();
    },
  };
}

async function measure(recording: Recording, stream: boolean): Promise<RunFigures> {
  const { url, close } = await serveReplay(recording, stream);
  const browser = await launchBrowser();
  try {
    const page: Page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(url);
    for (const role of ['SUBJECT', 'OBSERVER', 'GOD']) await page.getByTestId(`instance-${role}`).waitFor();
    await page.getByRole('button', { name: '1 h' }).click();
    await page.waitForTimeout(WARMUP_MS);
    const markers = await page.getByTestId('death-marker').count();
    if (markers === 0) throw new Error('renderer bench: no death marker on the charts');
    const cdp = await page.context().newCDPSession(page);
    const heapBeforeMb = await heapMb(cdp);
    await browser.startTracing(page, {
      categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel'],
    });
    const intervals = (await page.evaluate(intervalRecorder(RUN_MS))) as number[];
    const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
    const heapAfterMb = await heapMb(cdp);
    const { work, cpu } = frameWork(trace.traceEvents);
    return {
      frames: work.length,
      markers,
      frameWorkP50Ms: percentile(work, 0.5),
      frameWorkP95Ms: percentile(work, 0.95),
      frameCpuP50Ms: percentile(cpu, 0.5),
      frameCpuP95Ms: percentile(cpu, 0.95),
      frameWorkMaxMs: Math.max(...work),
      intervalP95Ms: percentile(intervals, 0.95),
      droppedPercent: (intervals.filter((delta) => delta > FRAME_BUDGET_MS * 1.5).length / intervals.length) * 100,
      heapBeforeMb,
      heapAfterMb,
    };
  } finally {
    await browser.close();
    await close();
  }
}

function medianFigures(runs: RunFigures[]): RunFigures {
  const of = (key: keyof RunFigures) => median(runs.map((run) => run[key]));
  return {
    frames: of('frames'),
    markers: of('markers'),
    frameWorkP50Ms: of('frameWorkP50Ms'),
    frameWorkP95Ms: of('frameWorkP95Ms'),
    frameCpuP50Ms: of('frameCpuP50Ms'),
    frameCpuP95Ms: of('frameCpuP95Ms'),
    frameWorkMaxMs: of('frameWorkMaxMs'),
    intervalP95Ms: of('intervalP95Ms'),
    droppedPercent: of('droppedPercent'),
    heapBeforeMb: of('heapBeforeMb'),
    heapAfterMb: of('heapAfterMb'),
  };
}

export async function benchRenderer(options: {
  runs: number;
  log: (line: string) => void;
  /** A recording kept by an earlier run, to compare two builds of the panel on the same stream. */
  recordingFile?: string;
}): Promise<RendererResult> {
  let recording: Recording;
  if (options.recordingFile) {
    recording = JSON.parse(fs.readFileSync(options.recordingFile, 'utf8')) as Recording;
    options.log(`renderer: replaying ${recording.events.length} events from ${options.recordingFile}`);
  } else {
    recording = await record(options.log);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-renderer-')), 'recording.json');
    fs.writeFileSync(file, JSON.stringify(recording));
    options.log(
      `renderer: recorded ${recording.events.length} events (kept in ${file}; --recording=${file} reuses it)`,
    );
  }
  const idle: RunFigures[] = [];
  const streaming: RunFigures[] = [];
  for (let run = 1; run <= options.runs; run++) {
    // Side by side: the baseline and the stream take turns, so a busy moment of the machine hits both.
    idle.push(await measure(recording, false));
    streaming.push(await measure(recording, true));
    options.log(
      `renderer: run ${run}/${options.runs}: p95 frame work ${round(idle.at(-1)!.frameWorkP95Ms)} ms at rest, ` +
        `${round(streaming.at(-1)!.frameWorkP95Ms)} ms streaming`,
    );
  }
  const seconds = (recording.events.at(-1)?.offsetMs ?? RECORD_MS) / 1000;
  const tokens: Record<string, number> = {};
  for (const role of ['SUBJECT', 'OBSERVER', 'GOD']) {
    const count = recording.events.reduce(
      (sum, entry) =>
        entry.event.type === 'instance.tokens' && entry.event.instance === role ? sum + entry.event.tokens : sum,
      0,
    );
    tokens[role] = round(count / seconds, 1);
  }
  const idleMedian = medianFigures(idle);
  const streamingMedian = medianFigures(streaming);
  return {
    runs: options.runs,
    runSeconds: RUN_MS / 1000,
    recorded: { seconds: round(seconds, 1), events: recording.events.length, tokensPerSecond: tokens },
    historyFrames: 3600,
    historyDeaths: Math.floor(3_600_000 / HISTORY_DEATH_EVERY_MS),
    streamDeaths: deathsIn(recording),
    idle: idleMedian,
    streaming: streamingMedian,
    p95Ratio: streamingMedian.frameWorkP95Ms / idleMedian.frameWorkP95Ms,
    heapRatio: streamingMedian.heapAfterMb / streamingMedian.heapBeforeMb,
    target: { p95Ms: TARGET_P95_MS, met: streamingMedian.frameWorkP95Ms < TARGET_P95_MS },
  };
}

export function printRenderer(result: RendererResult): string {
  const row = (name: string, figures: RunFigures) => [
    name,
    figures.frames,
    figures.markers,
    round(figures.frameWorkP50Ms),
    round(figures.frameWorkP95Ms),
    round(figures.frameWorkMaxMs),
    round(figures.frameCpuP50Ms),
    round(figures.frameCpuP95Ms),
    round(figures.intervalP95Ms),
    round(figures.droppedPercent, 1),
    round(figures.heapBeforeMb, 1),
    round(figures.heapAfterMb, 1),
  ];
  const rates = Object.entries(result.recorded.tokensPerSecond)
    .map(([role, rate]) => `${role} ${rate}`)
    .join(', ');
  return [
    `Renderer, 1920x1080, all charts over the 1 h window (${result.historyFrames} frames of history, ` +
      `${result.historyDeaths} deaths), medians of ${result.runs} runs of ${result.runSeconds} s`,
    `Stream: ${result.recorded.seconds} s recorded from a matrix host at full speed (tokens/s: ${rates}), with ` +
      `${result.streamDeaths} deaths (SIGKILL), replayed in a loop`,
    formatTable(
      [
        '',
        'frames',
        'markers',
        'work p50 ms',
        'work p95 ms',
        'work max ms',
        'CPU p50 ms',
        'CPU p95 ms',
        'interval p95 ms',
        'dropped %',
        'heap before MB',
        'heap after MB',
      ],
      [row('at rest (baseline)', result.idle), row('three streaming', result.streaming)],
    ),
    `p95 frame work streaming / at rest: ${round(result.p95Ratio)}x; heap after / before the streaming run: ` +
      `${round(result.heapRatio)}x`,
    `Target: p95 frame work under ${result.target.p95Ms} ms while three stream: ${result.target.met ? 'met' : 'NOT met'}` +
      ` (CPU p95 ${round(result.streaming.frameCpuP95Ms)} ms)`,
  ].join('\n');
}
