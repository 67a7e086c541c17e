import { randomInt } from 'node:crypto';
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

import type { Backend, LoadInfo, PromptFit } from '../../shared/instances.js';
import { llamaLoadOptions } from '../core/board/llamaDiscovery.js';
import { trimHistory } from './history.js';
import {
  neededContext,
  replyRoom,
  TEMPLATE_ALLOWANCE_TOKENS,
  USEFUL_REFLECTION_TOKENS,
  usableTokens,
  type PromptNeeds,
} from './promptFit.js';
import {
  EXCERPT_CHARS,
  MIN_EXCERPT_CHARS,
  reflectionPrompt,
  shortestPrompts,
  shortestWatcherForm,
  systemPromptFor,
  watcherPrompt,
  type WatcherForm,
} from './prompts.js';
import type { ThinkRequest, WorkerConfig } from './protocol.js';

/**
 * One mind: a model loaded with node-llama-cpp and the reflection loop's memory. No IPC here: the worker process
 * wraps it for the host, and the benchmark runs it alone to measure what the host's path costs on top.
 */

/** A load that failed, with the reason llama.cpp logged (node-llama-cpp's own error only says that it failed). */
export class LoadError extends Error {
  override name = 'LoadError';
}

/** The context cannot hold the prompts and a useful reflection: it will not, however often it is tried. */
export class ContextTooSmallError extends Error {
  override name = 'ContextTooSmallError';
  constructor(
    message: string,
    readonly needed: number,
    readonly context: number,
  ) {
    super(message);
  }
}

export interface Reflection {
  text: string;
  tokens: number;
  ms: number;
  /** False when it was aborted before the model finished. */
  complete: boolean;
}

/** Memories kept at most; only recent ones can fit a context anyway. */
const MAX_MEMORIES = 200;
/** A reflection shorter than this is not worth asking for. */
const MIN_REPLY_TOKENS = 32;
/** The system prompt and the question together take at most this share of the context. */
const PROMPT_SHARE = 0.6;

function backendOf(llama: Llama): Backend {
  return llama.gpu === false ? 'cpu' : llama.gpu;
}

export class Mind {
  private readonly memoryTokens: number[];
  private reflectionsThisLife = 0;
  private aborter: AbortController | null = null;

  private constructor(
    readonly config: WorkerConfig,
    readonly load: LoadInfo & { promptFit: PromptFit },
    readonly systemPrompt: string,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly session: LlamaChatSession,
    private readonly memories: string[],
  ) {
    this.memoryTokens = memories.map((text) => model.tokenize(text).length);
  }

  /** Tokens the chat template adds to one turn, as measured at load (at least the allowance). */
  private get perTurnOverhead(): number {
    return Math.ceil(this.load.promptFit.templateTokens / 4);
  }

  /** Loads the model as planned. `onLlamaLog` receives llama.cpp's warnings and errors. */
  static async create(
    config: WorkerConfig,
    hooks: { onProgress?: (progress: number) => void; onLlamaLog?: (line: string) => void } = {},
  ): Promise<Mind> {
    const started = Date.now();
    const { plan } = config;
    const recentLog: string[] = [];
    const explain = (error: unknown, prefix = ''): LoadError => {
      const base = error instanceof Error ? error.message : String(error);
      const reasons = recentLog.filter((line) =>
        /error|fail|invalid|unable|cannot|unknown|not enough|out of memory/i.test(line),
      );
      return new LoadError(`${prefix}${reasons.length > 0 ? `${base}: ${reasons.slice(-3).join(' | ')}` : base}`);
    };

    let llama: Llama;
    let model: LlamaModel;
    // The binary backend discovery chose (a local CUDA build with its CMake options, else a prebuilt one): its gpu and
    // cmakeOptions make getLlama look in exactly its folder, so a custom-options build is not passed over for the CPU.
    const binary = llamaLoadOptions(plan.gpuLayers > 0);
    try {
      // build 'never': the binaries there are or nothing. An offline source build would only waste time and fail.
      llama = await getLlama({
        build: 'never',
        gpu: binary.gpu,
        ...(binary.cmakeOptions ? { cmakeOptions: binary.cmakeOptions } : {}),
        logLevel: LlamaLogLevel.warn,
        logger(level, message) {
          const line = message.trim();
          if (line === '' || level === LlamaLogLevel.info || level === LlamaLogLevel.debug) return;
          recentLog.push(line);
          if (recentLog.length > 20) recentLog.shift();
          hooks.onLlamaLog?.(line);
        },
      }).catch((error: unknown) => {
        throw explain(error, `llama.cpp (${binary.binary ?? 'none known to load here, see brain-in-jar doctor'}): `);
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
            hooks.onProgress?.(progress);
          }
        },
      });
    } catch (error) {
      throw error instanceof LoadError ? error : explain(error);
    }

    let context: LlamaContext;
    try {
      context = await model.createContext({
        contextSize: plan.contextSize,
        batchSize: plan.batchSize,
        threads: plan.threads,
      });
    } catch (error) {
      throw explain(error, 'Could not create the context: ');
    }

    const systemPrompt = systemPromptFor(config.instance, config.deaths);
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    const promptFit = measurePromptFit(model, session, config, systemPrompt);
    if (context.contextSize < promptFit.neededContext) {
      const error = contextTooSmall(config, context.contextSize, promptFit);
      await context.dispose();
      await model.dispose();
      throw error;
    }
    const load: LoadInfo & { promptFit: PromptFit } = {
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
      promptFit,
    };
    return new Mind(config, load, systemPrompt, model, context, session, [...config.memories]);
  }

  /** What node-llama-cpp says the GPU holds now. */
  async vramUsed(): Promise<number> {
    return (await this.model.llama.getVramState()).used;
  }

  get memoryCount(): number {
    return this.memories.length;
  }

  /**
   * The prompt of the next reflection: for SUBJECT the plain question; for a watcher, the news and the watched minds'
   * latest thoughts, cut shorter (down to the shortest form the load was checked against) until the system prompt
   * and the question fit their share of the context and leave room for a useful reflection.
   */
  promptFor(request: ThinkRequest): string {
    const first = this.reflectionsThisLife === 0;
    if (!request.watching || request.watching.length === 0) return reflectionPrompt(first);
    const { contextSize } = this.context;
    const systemTokens = this.model.tokenize(this.systemPrompt).length;
    const room = Math.min(
      Math.floor(contextSize * PROMPT_SHARE) - systemTokens,
      usableTokens(contextSize) - systemTokens - this.load.promptFit.templateTokens - this.reflectionTokens,
    );
    const promptOf = (form: WatcherForm) => watcherPrompt(request.watching!, request.news ?? [], first, form);
    let form: WatcherForm = { excerptChars: EXCERPT_CHARS };
    let prompt = promptOf(form);
    while (this.model.tokenize(prompt).length > room && form.excerptChars > MIN_EXCERPT_CHARS) {
      form = { excerptChars: Math.max(MIN_EXCERPT_CHARS, Math.floor(form.excerptChars / 2)) };
      prompt = promptOf(form);
    }
    if (this.model.tokenize(prompt).length > room) prompt = promptOf(shortestWatcherForm(request.watching.length));
    return prompt;
  }

  /** The reflection length the load was checked for: the useful one, or less when the operator asks for less. */
  private get reflectionTokens(): number {
    return Math.min(USEFUL_REFLECTION_TOKENS, this.config.generation.maxTokens);
  }

  /**
   * Tokens the reply may take: the configured maximum, or less when the context cannot hold that much beside the
   * system prompt and the question (a small context and a long prompt, as in a tight plan).
   */
  replyBudget(prompt: string): number {
    return Math.min(this.config.generation.maxTokens, replyRoom(this.context.contextSize, this.needsOf(prompt)));
  }

  private needsOf(prompt: string): Omit<PromptNeeds, 'reflectionTokens'> {
    return {
      systemTokens: this.model.tokenize(this.systemPrompt).length,
      promptTokens: this.model.tokenize(prompt).length,
      templateTokens: this.load.promptFit.templateTokens,
    };
  }

  /** Produces one reflection to `prompt` (see promptFor), streaming its text; resolves when done or aborted. */
  async think(prompt: string, onChunk: (text: string, tokens: number) => void): Promise<Reflection> {
    const maxTokens = this.replyBudget(prompt);
    const shortest = Math.min(MIN_REPLY_TOKENS, this.config.generation.maxTokens);
    if (maxTokens < shortest) {
      const { contextSize } = this.context;
      throw new ContextTooSmallError(
        `The context (${contextSize} tokens) is too small for the system prompt and this prompt: ` +
          `only ${Math.max(0, maxTokens)} tokens would be left for a reflection. Plan a larger context.`,
        neededContext({ ...this.needsOf(prompt), reflectionTokens: shortest }),
        contextSize,
      );
    }
    this.session.setChatHistory(this.history(prompt, maxTokens));
    const started = Date.now();
    let text = '';
    let tokens = 0;
    const aborter = new AbortController();
    this.aborter = aborter;
    try {
      await this.session.prompt(prompt, {
        maxTokens,
        temperature: this.config.generation.temperature,
        // node-llama-cpp's default seed is the current second: two minds prompting in the same second would think
        // the same words.
        seed: randomInt(2 ** 31),
        signal: aborter.signal,
        stopOnAbortSignal: true,
        onResponseChunk(chunk) {
          if (chunk.type !== undefined) return; // thoughts of reasoning models are not part of the reflection
          text += chunk.text;
          tokens += chunk.tokens.length;
          onChunk(chunk.text, chunk.tokens.length);
        },
      });
    } finally {
      this.aborter = null;
    }
    this.reflectionsThisLife++;
    this.remember(text);
    return { text, tokens, ms: Date.now() - started, complete: !aborter.signal.aborted };
  }

  /** Releases the context and the model (the worker process simply exits; a test or a benchmark reuses its own). */
  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }

  /** Stops the reflection in progress; it resolves with what it had. */
  abort(): void {
    this.aborter?.abort();
  }

  get thinking(): boolean {
    return this.aborter !== null;
  }

  private remember(text: string): void {
    if (text.trim() === '') return;
    this.memories.push(text);
    this.memoryTokens.push(this.model.tokenize(text).length);
    if (this.memories.length > MAX_MEMORIES) {
      this.memories.splice(0, this.memories.length - MAX_MEMORIES);
      this.memoryTokens.splice(0, this.memoryTokens.length - MAX_MEMORIES);
    }
  }

  private history(prompt: string, maxTokens: number): ChatHistoryItem[] {
    const kept = trimHistory(this.memoryTokens, {
      contextSize: this.context.contextSize,
      maxTokens,
      systemTokens: this.model.tokenize(this.systemPrompt).length,
      promptTokens: this.model.tokenize(prompt).length,
      perTurnOverhead: this.perTurnOverhead,
    });
    const history: ChatHistoryItem[] = [{ type: 'system', text: this.systemPrompt }];
    const recent = kept === 0 ? [] : this.memories.slice(-kept);
    recent.forEach((text, index) => {
      history.push({ type: 'user', text: reflectionPrompt(index === 0) });
      history.push({ type: 'model', response: [text] });
    });
    return history;
  }
}

/**
 * What this mind's context must hold, counted with the model's own tokenizer and chat template: the system prompt of
 * this life, the prompt of a reflection at its shortest (prompts.ts), and a useful reflection.
 */
function measurePromptFit(
  model: LlamaModel,
  session: LlamaChatSession,
  config: WorkerConfig,
  systemPrompt: string,
): PromptFit {
  const { prompt } = shortestPrompts(config.instance, config.deaths);
  const systemTokens = model.tokenize(systemPrompt).length;
  const promptTokens = model.tokenize(prompt).length;
  const { contextText } = session.chatWrapper.generateContextState({
    chatHistory: [
      { type: 'system', text: systemPrompt },
      { type: 'user', text: prompt },
      { type: 'model', response: [''] },
    ],
  });
  const rendered = contextText.tokenize(model.tokenizer).length;
  // The template's own tokens for these three turns; the allowance of a fourth, as the reply budget reserves.
  const templateTokens = Math.max(
    TEMPLATE_ALLOWANCE_TOKENS,
    Math.ceil(((rendered - systemTokens - promptTokens) * 4) / 3),
  );
  const reflectionTokens = Math.min(USEFUL_REFLECTION_TOKENS, config.generation.maxTokens);
  return {
    systemTokens,
    promptTokens,
    templateTokens,
    reflectionTokens,
    neededContext: neededContext({ systemTokens, promptTokens, templateTokens, reflectionTokens }),
  };
}

function contextTooSmall(config: WorkerConfig, contextSize: number, fit: PromptFit): ContextTooSmallError {
  return new ContextTooSmallError(
    `The context (${contextSize} tokens) cannot hold ${config.instance}'s prompts: ${fit.neededContext} tokens are ` +
      `needed (system prompt ${fit.systemTokens}, shortest prompt ${fit.promptTokens}, chat template ` +
      `${fit.templateTokens}, a ${fit.reflectionTokens}-token reflection, and a tenth kept free). Plan a context ` +
      'of at least that, or choose a model with a longer one.',
    fit.neededContext,
    contextSize,
  );
}
