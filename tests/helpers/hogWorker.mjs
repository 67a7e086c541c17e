// A memory hog that speaks the worker protocol: the host supervises it exactly as it supervises a model worker
// (fork, IPC, signals, cgroups), so the watchdog is driven by a real process at a known fill rate. The tests and
// benchmarks start the host with BRAIN_IN_JAR_WORKER_SCRIPT pointing here. Configured by environment, per role:
//   BIJ_HOG_BASE_MB[_ROLE]       memory taken at load
//   BIJ_HOG_RATE_MBPS[_ROLE]     fill rate while thinking, MB/s (0: none)
//   BIJ_HOG_MAX_MB[_ROLE]        stop filling at this many MB
//   BIJ_HOG_GO_FILE              fill only once this file exists (a benchmark sets its line first)
//   BIJ_HOG_IGNORE_SIGTERM       "1": ignore SIGTERM (only SIGKILL ends it)
//   BIJ_HOG_SPIKE_FILE           spike mode, once this file exists: RSS up to the MB it holds, held for
//   BIJ_HOG_SPIKE_HOLD_MS        this long, freed; again after
//   BIJ_HOG_SPIKE_EVERY_MS       this long
//   BIJ_HOG_THINK_FATAL          a message: every think fails with it, as the real worker reports a failed think
//   BIJ_HOG_ABORT_AT_LOAD        "1": abort (SIGABRT) before reporting loaded, as llama.cpp does on some bad files
//   BIJ_HOG_ABORT_AFTER_THINK    "1": abort right after the first reflection (a crash that is a death every time)
//   BIJ_HOG_TITLE                the process's name (/proc/<pid>/comm), by which earlyoom's --prefer finds it
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const CHUNK = 4 * 2 ** 20;
let seq = 0;
const send = (message) => {
  if (process.connected) process.send({ seq: ++seq, ...message });
};
process.on('disconnect', () => process.exit(0));
if (process.env.BIJ_HOG_TITLE) process.title = process.env.BIJ_HOG_TITLE;
if (process.env.BIJ_HOG_IGNORE_SIGTERM === '1') process.on('SIGTERM', () => undefined);

let role = 'SUBJECT';
const setting = (name, fallback) => Number(process.env[`${name}_${role}`] ?? process.env[name] ?? fallback);
const held = [];
let filling = false;
let stopping = false;

function take(list, bytes) {
  for (let taken = 0; taken < bytes; taken += CHUNK) list.push(Buffer.alloc(Math.min(CHUNK, bytes - taken), 1));
}

/**
 * Fills at the configured rate: every 2 ms, enough chunks to keep up with rate x elapsed time. A timer rather than a
 * spin, so that on a small machine the hog does not take the core the watchdog it is measured against needs.
 */
function fill() {
  const rate = setting('BIJ_HOG_RATE_MBPS', 0) * 2 ** 20;
  const max = setting('BIJ_HOG_MAX_MB', 1e9) * 2 ** 20;
  if (rate <= 0 || filling) return;
  filling = true;
  const go = process.env.BIJ_HOG_GO_FILE;
  if (go && !fs.existsSync(go)) {
    filling = false;
    setTimeout(fill, 5);
    return;
  }
  const started = Date.now();
  const startBytes = held.length * CHUNK;
  const step = () => {
    if (stopping) return;
    const target = Math.min(max, startBytes + (rate * (Date.now() - started)) / 1000);
    while (held.length * CHUNK < target) held.push(Buffer.alloc(CHUNK, 1));
    if (held.length * CHUNK < max) setTimeout(step, 2);
  };
  step();
}

/** This process's resident memory as the watchdog measures it: RssAnon + RssFile. */
function ownRss() {
  const text = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)[1]) * 1024;
  return field('RssAnon') + field('RssFile');
}

/**
 * Spikes, once BIJ_HOG_SPIKE_FILE exists: grow this process's RSS to the megabytes the file holds, hold them for
 * BIJ_HOG_SPIKE_HOLD_MS, free them, and again after BIJ_HOG_SPIKE_EVERY_MS. Per-process RSS is exact where the
 * board's MemAvailable is folded from per-CPU counters about once a second, so spikes are measured on an instance.
 */
function spikes() {
  const file = process.env.BIJ_HOG_SPIKE_FILE;
  if (!file) return;
  const hold = setting('BIJ_HOG_SPIKE_HOLD_MS', 10);
  const every = setting('BIJ_HOG_SPIKE_EVERY_MS', 200);
  const up = () => {
    if (stopping) return;
    let target;
    try {
      target = Number(fs.readFileSync(file, 'utf8')) * 2 ** 20;
    } catch {
      setTimeout(up, every);
      return;
    }
    let spike = [];
    while (ownRss() < target) spike.push(Buffer.alloc(2 ** 20, 1));
    setTimeout(() => {
      spike = [];
      gc();
      setTimeout(up, every);
    }, hold);
  };
  up();
}

process.on('message', (message) => {
  if (message.kind === 'init') {
    role = message.config.instance;
    if (process.env.BIJ_HOG_ABORT_AT_LOAD === '1') process.abort();
    take(held, setting('BIJ_HOG_BASE_MB', 0) * 2 ** 20);
    send({
      kind: 'loaded',
      systemPrompt: `a memory hog standing in for ${role}`,
      memories: 0,
      load: {
        backend: 'cpu',
        gpuLayers: 0,
        totalLayers: 0,
        contextSize: message.config.plan.contextSize,
        batchSize: message.config.plan.batchSize,
        threads: message.config.plan.threads,
        useMmap: false,
        useMlock: false,
        loadMs: 0,
        modelPath: message.config.modelPath,
        modelName: 'memory hog',
        demo: false,
      },
    });
    spikes();
  } else if (message.kind === 'think') {
    const n = message.request.n;
    send({ kind: 'reflection-start', n, deaths: 0, prompt: 'hog' });
    const fatal = process.env.BIJ_HOG_THINK_FATAL;
    if (fatal) {
      send({ kind: 'fatal', phase: 'think', error: { name: 'Error', message: fatal } });
      process.exit(4);
    }
    fill();
    setTimeout(() => {
      send({ kind: 'tokens', n, text: `holding ${Math.round((held.length * CHUNK) / 2 ** 20)} MB`, tokens: 3 });
      send({ kind: 'reflection-end', n, text: 'holding', tokens: 3, ms: 200, complete: true });
      if (process.env.BIJ_HOG_ABORT_AFTER_THINK === '1') setTimeout(() => process.abort(), 20);
    }, 200);
  } else if (message.kind === 'stop') {
    stopping = true;
    process.exit(0);
  }
});
