/**
 * The instance process: one per instance, forked by the host. It loads one model and produces reflections when the
 * host asks for them. It never outlives the host: when the IPC channel closes or its parent changes, it exits.
 */
import path from 'node:path';

import {
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaModel,
} from 'node-llama-cpp';

import type { Backend } from '../../shared/instances.js';
import { trimHistory } from './history.js';
import { reflectionPrompt, subjectSystemPrompt } from './prompts.js';
import {
  EXIT_LOAD_FAILED,
  EXIT_THINK_FAILED,
  toPlainError,
  type HostMessage,
  type WorkerConfig,
  type WorkerMessage,
} from './protocol.js';
import { TokenBatcher } from './tokenBatcher.js';

type Outgoing = WorkerMessage extends infer M ? (M extends WorkerMessage ? Omit<M, 'seq'> : never) : never;

let seq = 0;
function send(message: Outgoing): void {
  if (!process.connected) exitNow(0);
  process.send!({ seq: ++seq, ...message });
}

/** Exit without waiting for native resources: a worker whose host is gone must release its memory now. */
function exitNow(code: number): never {
  process.exit(code);
}

if (!process.send) {
  console.error('The worker is started by the host (brain-in-jar), not by hand.');
  process.exit(2);
}

// Never outlive the host. 'disconnect' fires when the host exits or is killed (its end of the channel closes);
// the parent check also covers a host that hangs with the channel open but was replaced by a reaper.
const parentPid = process.ppid;
process.on('disconnect', () => exitNow(0));
setInterval(() => {
  if (process.ppid !== parentPid || !process.connected) exitNow(0);
}, 250).unref();

/** The last lines llama.cpp logged: its load errors say why; node-llama-cpp's own error only says that it failed. */
const llamaLog: string[] = [];
function onLlamaLog(level: LlamaLogLevel, message: string): void {
  const line = message.trim();
  if (line === '') return;
  if (level === LlamaLogLevel.error || level === LlamaLogLevel.warn || level === LlamaLogLevel.fatal) {
    llamaLog.push(line);
    if (llamaLog.length > 20) llamaLog.shift();
  }
}

function explainLoadFailure(error: unknown): string {
  const base = error instanceof Error ? error.message : String(error);
  const reasons = llamaLog.filter((line) => /error|fail|invalid|unable|cannot|not enough|out of memory/i.test(line));
  return reasons.length > 0 ? `${base}: ${reasons.slice(-3).join(' | ')}` : base;
}

interface Mind {
  config: WorkerConfig;
  model: LlamaModel;
  context: LlamaContext;
  session: LlamaChatSession;
  systemPrompt: string;
  /** Every reflection this mind remembers, oldest first (earlier lives included). */
  memories: string[];
  memoryTokens: number[];
  reflectionsThisLife: number;
}

let mind: Mind | null = null;
let thinking: AbortController | null = null;
let stopping = false;

function backendOf(llama: Llama): Backend {
  return llama.gpu === false ? 'cpu' : llama.gpu;
}

async function load(config: WorkerConfig): Promise<void> {
  const started = Date.now();
  const { plan } = config;
  let llama: Llama;
  let model: LlamaModel;
  try {
    // build 'never': the prebuilt binaries or nothing. An offline source build would only waste time and fail.
    llama = await getLlama({
      build: 'never',
      gpu: plan.gpuLayers > 0 ? 'auto' : false,
      logLevel: LlamaLogLevel.warn,
      logger: onLlamaLog,
    });
    let lastProgress = -1;
    model = await llama.loadModel({
      modelPath: config.modelPath,
      gpuLayers: plan.gpuLayers,
      useMmap: plan.useMmap,
      useMlock: plan.useMlock,
      onLoadProgress(progress) {
        // About twenty updates per load are enough for a progress bar.
        if (progress - lastProgress >= 0.05 || progress === 1) {
          lastProgress = progress;
          send({ kind: 'progress', progress });
        }
      },
    });
  } catch (error) {
    send({
      kind: 'fatal',
      phase: 'load',
      error: { ...toPlainError(error), message: explainLoadFailure(error) },
    });
    exitNow(EXIT_LOAD_FAILED);
  }

  let context: LlamaContext;
  try {
    context = await model.createContext({
      contextSize: plan.contextSize,
      batchSize: plan.batchSize,
      threads: plan.threads,
    });
  } catch (error) {
    send({
      kind: 'fatal',
      phase: 'load',
      error: { ...toPlainError(error), message: `Could not create the context: ${explainLoadFailure(error)}` },
    });
    exitNow(EXIT_LOAD_FAILED);
  }

  const systemPrompt = subjectSystemPrompt(config.deaths);
  const session = new LlamaChatSession({ contextSequence: context.getSequence() });
  const memories = [...config.memories];
  mind = {
    config,
    model,
    context,
    session,
    systemPrompt,
    memories,
    memoryTokens: memories.map((text) => model.tokenize(text).length),
    reflectionsThisLife: 0,
  };
  send({
    kind: 'loaded',
    systemPrompt,
    memories: memories.length,
    load: {
      backend: backendOf(llama),
      gpuLayers: model.gpuLayers,
      totalLayers: model.fileInsights.totalLayers,
      contextSize: context.contextSize,
      batchSize: context.batchSize,
      threads: context.currentThreads,
      useMmap: model.useMmap,
      useMlock: plan.useMlock,
      loadMs: Date.now() - started,
      modelPath: path.resolve(config.modelPath),
      modelName: model.fileInfo.metadata.general?.name ?? path.basename(config.modelPath),
      demo: config.demo,
    },
  });
}

function buildHistory(current: Mind, prompt: string): ChatHistoryItem[] {
  const { model, config } = current;
  const kept = trimHistory(current.memoryTokens, {
    contextSize: current.context.contextSize,
    maxTokens: config.generation.maxTokens,
    systemTokens: model.tokenize(current.systemPrompt).length,
    promptTokens: model.tokenize(prompt).length,
    perTurnOverhead: 16,
  });
  const history: ChatHistoryItem[] = [{ type: 'system', text: current.systemPrompt }];
  const recent = kept === 0 ? [] : current.memories.slice(-kept);
  recent.forEach((text, index) => {
    history.push({ type: 'user', text: reflectionPrompt(index === 0) });
    history.push({ type: 'model', response: [text] });
  });
  return history;
}

async function think(n: number): Promise<void> {
  const current = mind;
  if (!current || thinking || stopping) return;
  const prompt = reflectionPrompt(current.reflectionsThisLife === 0);
  current.session.setChatHistory(buildHistory(current, prompt));
  send({ kind: 'reflection-start', n, deaths: current.config.deaths, prompt });

  const started = Date.now();
  let text = '';
  let tokens = 0;
  const batcher = new TokenBatcher(current.config.generation.tokenBatchMs, (chunk, count) =>
    send({ kind: 'tokens', n, text: chunk, tokens: count }),
  );
  thinking = new AbortController();
  let complete = true;
  try {
    await current.session.prompt(prompt, {
      maxTokens: current.config.generation.maxTokens,
      temperature: current.config.generation.temperature,
      signal: thinking.signal,
      stopOnAbortSignal: true,
      onResponseChunk(chunk) {
        if (chunk.type !== undefined) return; // thoughts or segments of reasoning models: not part of the reflection
        text += chunk.text;
        tokens += chunk.tokens.length;
        batcher.push(chunk.text, chunk.tokens.length);
      },
    });
    complete = !thinking.signal.aborted;
  } catch (error) {
    batcher.flush();
    send({ kind: 'fatal', phase: 'think', error: toPlainError(error) });
    exitNow(EXIT_THINK_FAILED);
  } finally {
    thinking = null;
  }
  batcher.flush();
  current.reflectionsThisLife++;
  if (text.trim() !== '') {
    current.memories.push(text);
    current.memoryTokens.push(current.model.tokenize(text).length);
    // Only recent memories can ever fit a context; keep the list from growing without end.
    if (current.memories.length > 200) {
      current.memories.splice(0, current.memories.length - 200);
      current.memoryTokens.splice(0, current.memoryTokens.length - 200);
    }
  }
  send({ kind: 'reflection-end', n, text, tokens, ms: Date.now() - started, complete });
}

async function stop(): Promise<void> {
  stopping = true;
  thinking?.abort();
  // Give the aborted reflection a moment to report itself as last words, then go.
  const deadline = Date.now() + 1000;
  while (thinking && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  exitNow(0);
}

process.on('message', (raw: unknown) => {
  const message = raw as HostMessage;
  switch (message?.kind) {
    case 'init':
      void load(message.config);
      return;
    case 'think':
      void think(message.request.n);
      return;
    case 'stop':
      void stop();
      return;
    default:
      send({ kind: 'log', level: 'warn', message: `worker ignored an unknown message: ${JSON.stringify(raw)}` });
  }
});
