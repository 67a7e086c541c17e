import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { onLines } from '../electron/core/lines.js';
import { DEMO_MODEL_SPEC, generateModel } from '../electron/core/gguf/generateModel.js';
import { HostProcess } from '../tests/helpers/hostProcess.js';
import { WsClient } from '../tests/helpers/wsClient.js';
import { cpuSeconds, formatTable, median, round } from './stats.js';

/**
 * The whole path (worker -> host -> WebSocket, the renderer's transport) against node-llama-cpp alone (the same
 * Mind in a fresh process of its own, without host, IPC or WebSocket), side by side in the same run: time from Start
 * to the first token, and tokens per second over the same reflection loop.
 * Also the host's own CPU use while idle and while streaming.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_TOKENS = 512;

export interface PathResult {
  runs: number;
  reflectionsPerRun: number;
  model: string;
  startToFirstTokenMs: { path: number; baseline: number; ratio: number };
  tokensPerSecond: { path: number; baseline: number; ratio: number };
  hostCpuPercentOfOneCore: { idle: number; streaming: number };
}

interface RunFigures {
  firstTokenMs: number;
  tokens: number;
  generationMs: number;
}

async function baselineRun(model: string, reflections: number): Promise<RunFigures> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [path.join(root, 'bench/baselineProcess.mjs'), model, String(reflections), String(MAX_TOKENS)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let firstTokenMs = 0;
    onLines(child.stdout!, (line) => {
      const message = JSON.parse(line) as { kind: string; tokens?: number; generationMs?: number };
      if (message.kind === 'first-token') firstTokenMs = Date.now() - started;
      if (message.kind === 'done')
        resolve({ firstTokenMs, tokens: message.tokens!, generationMs: message.generationMs! });
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`baseline exited with ${code}`)));
  });
}

async function pathRun(
  model: string,
  reflections: number,
  measureIdle: boolean,
): Promise<RunFigures & { idleCpu: number | null; streamingCpu: number }> {
  const host = HostProcess.startBuilt([
    '--no-autostart',
    '--model',
    model,
    '--threads',
    '1',
    '--think-pause',
    '0',
    '--max-tokens',
    String(MAX_TOKENS),
  ]);
  const { url } = await host.waitFor('host.ready');

  let idleCpu: number | null = null;
  if (measureIdle) {
    // Let start-up work settle, then measure ten seconds with no instance running.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = cpuSeconds(host.pid);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    idleCpu = ((cpuSeconds(host.pid) - before) / 10) * 100;
  }

  const client = await WsClient.connect(url);
  let firstTokenAt = 0;
  let tokens = 0;
  let cpuAtFirstToken = 0;
  const done = new Promise<number>((resolve) => {
    client.onPush((push) => {
      if (push.kind !== 'event') return;
      const event = push.event;
      if (event.type === 'instance.tokens' && firstTokenAt === 0) {
        firstTokenAt = Date.now();
        cpuAtFirstToken = cpuSeconds(host.pid);
      }
      if (event.type === 'instance.reflection' && event.record.n <= reflections) {
        tokens += event.record.tokens;
        if (event.record.n === reflections) resolve(Date.now());
      }
    });
  });
  const startedAt = Date.now();
  void client.call('instances.start', {});
  const endedAt = await done;
  const streamingCpu = ((cpuSeconds(host.pid) - cpuAtFirstToken) / ((endedAt - firstTokenAt) / 1000)) * 100;
  client.close();
  await host.stop();
  return {
    firstTokenMs: firstTokenAt - startedAt,
    tokens,
    generationMs: endedAt - firstTokenAt,
    idleCpu,
    streamingCpu,
  };
}

export async function benchPath(options: {
  runs: number;
  reflections: number;
  log: (line: string) => void;
}): Promise<PathResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-bench-model-'));
  const model = path.join(dir, 'demo.gguf');
  generateModel(model, DEMO_MODEL_SPEC);

  const baseline: RunFigures[] = [];
  const through: Array<Awaited<ReturnType<typeof pathRun>>> = [];
  for (let run = 0; run < options.runs; run++) {
    // Side by side: each run measures both, alternating which goes first.
    const pair =
      run % 2 === 0
        ? [await baselineRun(model, options.reflections), await pathRun(model, options.reflections, run === 0)]
        : [await pathRun(model, options.reflections, false), await baselineRun(model, options.reflections)].reverse();
    baseline.push(pair[0]!);
    through.push(pair[1] as Awaited<ReturnType<typeof pathRun>>);
    options.log(
      `  run ${run + 1}: start->first token ${through.at(-1)!.firstTokenMs} ms (alone ${baseline.at(-1)!.firstTokenMs} ms), ` +
        `${round((through.at(-1)!.tokens / through.at(-1)!.generationMs) * 1000, 0)} tok/s ` +
        `(alone ${round((baseline.at(-1)!.tokens / baseline.at(-1)!.generationMs) * 1000, 0)} tok/s)`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });

  const ttftPath = median(through.map((run) => run.firstTokenMs));
  const ttftBase = median(baseline.map((run) => run.firstTokenMs));
  const tpsPath = median(through.map((run) => (run.tokens / run.generationMs) * 1000));
  const tpsBase = median(baseline.map((run) => (run.tokens / run.generationMs) * 1000));
  return {
    runs: options.runs,
    reflectionsPerRun: options.reflections,
    model: `generated demo model (${DEMO_MODEL_SPEC.layers} layers, ${DEMO_MODEL_SPEC.embedding} wide, f32), 1 thread, ${MAX_TOKENS} tokens per reflection`,
    startToFirstTokenMs: { path: round(ttftPath, 0), baseline: round(ttftBase, 0), ratio: round(ttftPath / ttftBase) },
    tokensPerSecond: { path: round(tpsPath, 0), baseline: round(tpsBase, 0), ratio: round(tpsPath / tpsBase, 3) },
    hostCpuPercentOfOneCore: {
      idle: round(through[0]!.idleCpu ?? Number.NaN, 3),
      streaming: round(median(through.map((run) => run.streamingCpu)), 2),
    },
  };
}

export function printPath(result: PathResult): string {
  return [
    `Whole path (worker -> host -> WebSocket) against node-llama-cpp alone, median of ${result.runs} runs`,
    `Model: ${result.model}`,
    '',
    formatTable(
      ['figure', 'whole path', 'node-llama-cpp alone', 'ratio'],
      [
        [
          'Start -> first token (ms)',
          result.startToFirstTokenMs.path,
          result.startToFirstTokenMs.baseline,
          result.startToFirstTokenMs.ratio,
        ],
        ['tokens/s', result.tokensPerSecond.path, result.tokensPerSecond.baseline, result.tokensPerSecond.ratio],
      ],
    ),
    '',
    `Host CPU, % of one core: idle ${result.hostCpuPercentOfOneCore.idle}, while streaming ${result.hostCpuPercentOfOneCore.streaming}`,
  ].join('\n');
}
