import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

import type { HostEvent } from '../../../shared/events.js';
import type { Role } from '../../../shared/instances.js';
import { DEMO_MODEL_FILE } from '../demoModel.js';
import { loaderArgs } from '../instance/workerProcess.js';
import { onLines } from '../lines.js';
import { dataPaths } from '../store/dataDir.js';
import type { Flags } from './args.js';
import type { CommandOutput } from './commands.js';
import { hostCommand, thisRuntime, type HostCommand } from './hostCommand.js';
import { formatVerdict, selfTestVerdict, type PanelAnswer, type SelfTestRun } from './selfTestVerdict.js';

/**
 * `brain-in-jar self-test [--minutes N] [--json]`: starts a real host the way the service starts it (a child
 * process, the demo model and a fresh data folder unless told otherwise), watches it for N minutes through its
 * --json-events, asks its panel, stops it, reads its logs, and gives the verdict of selfTestVerdict.ts.
 */

const READY_TIMEOUT_MS = 90_000;
/** Past the N minutes, how long the run waits for an instance's first reflection at most. */
const FIRST_REFLECTION_GRACE_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const BROKEN_PIPE = /broken pipe|EPIPE/i;
const WATCHDOG_START = '[GPU Watchdog] Starting monitoring';

/** This tree's headless entry: electron/headless.ts from source, dist/electron/headless.js built. */
function headlessEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return path.resolve(path.dirname(here), '../..', `headless${path.extname(here)}`);
}

/** The self-test's own arguments taken out; the rest (settings, --threads, ...) goes to the host it starts. */
export function hostArgsOf(argv: readonly string[]): string[] {
  const rest = argv[0] === 'self-test' ? argv.slice(1) : [...argv];
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--json' || arg.startsWith('--minutes=') || arg.startsWith('--data-dir=')) continue;
    if (arg === '--minutes' || arg === '--data-dir') {
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

function emptyRun(minutes: number): SelfTestRun {
  return {
    minutes,
    readyMs: null,
    startFailure: null,
    panelAddress: null,
    watchdogStartLine: null,
    resources: null,
    plan: null,
    demoModelPath: null,
    panel: null,
    samples: [],
    brokenPipe: { matches: [], linesScanned: 0 },
    deaths: [],
    instances: {},
    exitedEarly: null,
    ranMs: 0,
    stop: null,
  };
}

/** What the run's events say, as they come. */
function observe(run: SelfTestRun, event: HostEvent): void {
  const seen = (role: Role) => (run.instances[role] ??= { reflections: 0, state: null, error: null });
  switch (event.type) {
    case 'board.resources':
      run.resources = event.resources;
      break;
    case 'plan.changed':
      run.plan = event.outcome;
      if (event.outcome.ok) for (const planned of event.outcome.plan.instances) seen(planned.instance);
      break;
    case 'watchdog.samples':
      for (const sample of event.samples) run.samples.push(sample);
      break;
    case 'instance.state':
      seen(event.instance).state = event.state;
      break;
    case 'instance.error':
      seen(event.instance).error = event.error.message;
      break;
    case 'instance.reflection':
      seen(event.instance).reflections++;
      break;
    case 'instance.death':
      run.deaths.push({ instance: event.instance, cause: event.cause, message: event.message });
      break;
    case 'log':
      scanLine(run, `[${event.source}] ${event.message}`);
      break;
    default:
      break;
  }
}

function scanLine(run: SelfTestRun, line: string): void {
  run.brokenPipe.linesScanned++;
  if (BROKEN_PIPE.test(line)) run.brokenPipe.matches.push(line.slice(0, 200));
}

/** GET the page (200, text/html), then the WebSocket's first snapshot, both with the token. */
async function askPanel(url: string): Promise<PanelAnswer> {
  const answer: PanelAnswer = { status: null, contentType: null, snapshotMs: null, error: null };
  try {
    await new Promise<void>((resolve, reject) => {
      const request = http.get(url, (response) => {
        answer.status = response.statusCode ?? null;
        answer.contentType = response.headers['content-type'] ?? null;
        response.resume().on('end', resolve);
      });
      request.setTimeout(10_000, () => request.destroy(new Error('no answer in 10 s')));
      request.on('error', reject);
    });
    const socketUrl = new URL(url);
    socketUrl.protocol = 'ws:';
    socketUrl.pathname = '/ws';
    const started = Date.now();
    answer.snapshotMs = await new Promise<number | null>((resolve) => {
      const socket = new WebSocket(socketUrl);
      const done = (value: number | null) => {
        clearTimeout(timer);
        socket.terminate();
        resolve(value);
      };
      const timer = setTimeout(() => done(null), 10_000);
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { kind?: string };
        if (message.kind === 'snapshot') done(Date.now() - started);
      });
      socket.on('error', () => done(null));
    });
  } catch (error) {
    answer.error = (error as Error).message;
  }
  return answer;
}

/** The size of each log file before the run, so that only what this run wrote is read (a given --data-dir). */
function logSizes(dataDir: string): Map<string, number> {
  const logs = dataPaths(dataDir).logs;
  const sizes = new Map<string, number>();
  if (!fs.existsSync(logs)) return sizes;
  for (const name of fs.readdirSync(logs, { recursive: true }).map(String)) {
    const file = path.join(logs, name);
    if (fs.statSync(file).isFile()) sizes.set(file, fs.statSync(file).size);
  }
  return sizes;
}

/** This run's lines of every log file and of its session's events, scanned; the watchdog's start line found. */
function readLogs(run: SelfTestRun, dataDir: string, before: Map<string, number>, sessionId: string | null): void {
  const paths = dataPaths(dataDir);
  const files = [...logSizes(dataDir).keys()];
  if (sessionId) files.push(path.join(paths.sessions, sessionId, 'events.jsonl'));
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    const text = fs
      .readFileSync(file)
      .subarray(before.get(file) ?? 0)
      .toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      scanLine(run, line);
      if (file.endsWith('watchdog.log') && run.watchdogStartLine === null && line.includes(WATCHDOG_START)) {
        run.watchdogStartLine = line.trim();
      }
    }
  }
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function waitFor(condition: () => boolean, timeoutMs: number, child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const tick = () => {
      if (condition() || exited(child) || Date.now() - started >= timeoutMs) resolve();
      else setTimeout(tick, 100);
    };
    tick();
  });
}

/** Ends the host as systemd would: SIGTERM, then SIGKILL if it is still there after STOP_TIMEOUT_MS. */
async function stop(child: ChildProcess): Promise<SelfTestRun['stop']> {
  const stopping = Date.now();
  child.kill('SIGTERM');
  await waitFor(() => false, STOP_TIMEOUT_MS, child);
  if (!exited(child)) child.kill('SIGKILL');
  await new Promise((resolve) => (exited(child) ? resolve(null) : child.once('exit', resolve)));
  return { code: child.exitCode, signal: child.signalCode, ms: Date.now() - stopping };
}

/** A host child whose stdout events feed the run; `running` once it serves and its watchdog samples. */
function startObserved(command: HostCommand, run: SelfTestRun) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...command.env };
  if (!command.env.ELECTRON_RUN_AS_NODE) delete env.ELECTRON_RUN_AS_NODE;
  const startedAt = Date.now();
  const child = spawn(command.argv[0]!, command.argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const seen = { startedAt, url: null as string | null, sessionId: null as string | null, stderr: [] as string[] };
  onLines(child.stdout!, (line) => {
    let event: HostEvent;
    try {
      event = JSON.parse(line) as HostEvent;
    } catch {
      return scanLine(run, line);
    }
    if (event.type === 'host.ready') {
      seen.url = event.url;
      seen.sessionId = event.sessionId;
      run.panelAddress = new URL(event.url).host;
    }
    // Serving, its board probed, its plan made: the host runs once its watchdog has started.
    if (event.type === 'watchdog.started' && seen.url !== null) run.readyMs = Date.now() - startedAt;
    observe(run, event);
  });
  onLines(child.stderr!, (line) => {
    scanLine(run, line);
    seen.stderr.push(line);
    if (seen.stderr.length > 5) seen.stderr.shift();
  });
  child.on('error', (error) => seen.stderr.push(`cannot start ${command.argv[0]}: ${error.message}`));
  return { child, seen };
}

export async function selfTest(flags: Flags, argv: readonly string[]): Promise<CommandOutput> {
  const minutes = flags.minutes;
  const ownDir = flags.dataDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'brain-in-jar-self-test-'));
  const dataDir = flags.dataDir ?? ownDir!;
  const run = emptyRun(minutes);
  run.demoModelPath = path.join(dataPaths(dataDir).models, DEMO_MODEL_FILE);
  const command = hostCommand(thisRuntime(headlessEntry(), loaderArgs()), [
    '--json-events',
    '--web-port',
    '0',
    '--data-dir',
    dataDir,
    ...hostArgsOf(argv),
  ]);
  process.stderr.write(`self-test: starting a host (data in ${dataDir}) for ${minutes} min\n`);
  const before = logSizes(dataDir);
  const { child, seen } = startObserved(command, run);

  await waitFor(() => run.readyMs !== null, READY_TIMEOUT_MS, child);
  if (run.readyMs !== null && seen.url !== null) {
    run.panel = await askPanel(seen.url);
    const until = seen.startedAt + run.readyMs + minutes * 60_000;
    await waitFor(() => Date.now() >= until, minutes * 60_000 + 1000, child);
    const thought = () =>
      Object.values(run.instances).every(
        (one) => one.reflections > 0 || one.state === 'blocked' || one.state === 'stopped',
      );
    await waitFor(thought, FIRST_REFLECTION_GRACE_MS, child);
  }
  run.ranMs = Date.now() - seen.startedAt - (run.readyMs ?? 0);
  const output = seen.stderr.join(' | ') || 'no output';
  const serving = seen.url === null ? '' : ', though it served the panel';
  if (exited(child)) {
    if (run.readyMs === null) {
      const how = child.signalCode ?? `code ${child.exitCode}`;
      run.startFailure = `exited (${how}) before it ran${serving}: ${output}`;
    } else {
      run.exitedEarly = { code: child.exitCode, signal: child.signalCode };
    }
  } else {
    if (run.readyMs === null) run.startFailure = `not running in ${READY_TIMEOUT_MS / 1000} s${serving}: ${output}`;
    const stopped = await stop(child);
    if (run.readyMs !== null) run.stop = stopped;
  }
  readLogs(run, dataDir, before, seen.sessionId);

  const items = selfTestVerdict(run);
  const failed = items.some((one) => one.status === 'fail');
  if (ownDir && !failed) fs.rmSync(ownDir, { recursive: true, force: true });
  const kept = failed ? dataDir : null;
  const text = flags.json
    ? JSON.stringify({ ok: !failed, minutes, dataDir: kept, items })
    : formatVerdict(items, `Brain in a Jar self-test, ${minutes} min${kept ? ` (logs kept in ${kept})` : ''}:`);
  return { text, exitCode: failed ? 1 : 0 };
}
