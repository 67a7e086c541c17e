/**
 * The instance process: one per instance, forked by the host. It wraps one Mind for the host's IPC: loads it on
 * `init`, produces a reflection on each `think`, and exits on `stop`. It never outlives the host: when the IPC
 * channel closes or its parent changes, it exits.
 */
import { failureKind } from '../../shared/failures.js';
import { ContextTooSmallError, LoadError, Mind } from './mind.js';
import {
  EXIT_LOAD_FAILED,
  EXIT_THINK_FAILED,
  toPlainError,
  type HostMessage,
  type ThinkRequest,
  type WorkerConfig,
  type WorkerMessage,
} from './protocol.js';
import { TokenBatcher } from './tokenBatcher.js';

type Outgoing = WorkerMessage extends infer M ? (M extends WorkerMessage ? Omit<M, 'seq'> : never) : never;

let seq = 0;
function send(message: Outgoing): void {
  if (!process.connected) process.exit(0);
  process.send!({ seq: ++seq, ...message });
}

if (!process.send) {
  console.error('The worker is started by the host (brain-in-jar), not by hand.');
  process.exit(2);
}

// Never outlive the host: 'disconnect' fires when the host exits or is killed (its end of the channel closes);
// the parent check also covers a host that was replaced by a reaper while the channel lingers.
const parentPid = process.ppid;
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  if (process.ppid !== parentPid || !process.connected) process.exit(0);
}, 250).unref();

/** What the fatal message says the failure is: a context too small by its numbers, else as its text says. */
function failureOf(
  error: unknown,
  message: string,
): Pick<Extract<WorkerMessage, { kind: 'fatal' }>, 'failure' | 'contextTokens'> {
  if (error instanceof ContextTooSmallError) {
    return { failure: 'context-too-small', contextTokens: { needed: error.needed, context: error.context } };
  }
  const failure = failureKind(message);
  return failure ? { failure } : {};
}

let mind: Mind | null = null;
let stopping = false;

async function load(config: WorkerConfig): Promise<void> {
  try {
    mind = await Mind.create(config, {
      onProgress: (progress) => send({ kind: 'progress', progress }),
    });
  } catch (error) {
    const plain = toPlainError(error);
    if (!(error instanceof LoadError) && !(error instanceof ContextTooSmallError))
      plain.message = `Failed to load the model: ${plain.message}`;
    send({ kind: 'fatal', phase: 'load', error: plain, ...failureOf(error, plain.message) });
    process.exit(EXIT_LOAD_FAILED);
  }
  send({ kind: 'loaded', load: mind.load, systemPrompt: mind.systemPrompt, memories: mind.memoryCount });
  if (mind.load.backend !== 'cpu') {
    const loaded = mind;
    setInterval(() => {
      void loaded.vramUsed().then((usedBytes) => send({ kind: 'vram', usedBytes }));
    }, 1000).unref();
  }
}

async function think(request: ThinkRequest, batchMs: number): Promise<void> {
  const current = mind;
  if (!current || current.thinking || stopping) return;
  const { n } = request;
  const prompt = current.promptFor(request);
  send({ kind: 'reflection-start', n, deaths: current.config.deaths, prompt });
  const batcher = new TokenBatcher(batchMs, (text, tokens) => send({ kind: 'tokens', n, text, tokens }));
  try {
    const reflection = await current.think(prompt, (text, tokens) => batcher.push(text, tokens));
    batcher.flush();
    send({ kind: 'reflection-end', n, ...reflection });
  } catch (error) {
    batcher.flush();
    const plain = toPlainError(error);
    send({ kind: 'fatal', phase: 'think', error: plain, ...failureOf(error, plain.message) });
    process.exit(EXIT_THINK_FAILED);
  }
}

async function stop(): Promise<void> {
  stopping = true;
  mind?.abort();
  // Give the aborted reflection a moment to report itself as last words, then go.
  const deadline = Date.now() + 1000;
  while (mind?.thinking && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  process.exit(0);
}

process.on('message', (raw: unknown) => {
  const message = raw as HostMessage;
  switch (message?.kind) {
    case 'init':
      void load(message.config);
      return;
    case 'think':
      void think(message.request, mind?.config.generation.tokenBatchMs ?? 50);
      return;
    case 'stop':
      void stop();
      return;
    default:
      send({ kind: 'log', level: 'warn', message: `worker ignored an unknown message: ${JSON.stringify(raw)}` });
  }
});
