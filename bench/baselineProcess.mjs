// node-llama-cpp alone: the same Mind the worker runs (same prompts, same history handling, same settings), in a
// fresh process, with no host, no IPC and no WebSocket. What the whole path costs is the difference.
// Plain JavaScript on the built code, so it starts exactly as the built worker does.
// Usage: node bench/baselineProcess.mjs MODEL REFLECTIONS MAX_TOKENS
import { Mind } from '../dist/electron/worker/mind.js';

const [modelPath, reflections, maxTokens] = process.argv.slice(2);
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const mind = await Mind.create({
  instance: 'SUBJECT',
  modelPath,
  demo: false,
  deaths: 0,
  plan: { gpuLayers: 0, contextSize: 2048, batchSize: 512, threads: 1, useMmap: true, useMlock: false },
  generation: { maxTokens: Number(maxTokens), temperature: 0.7, tokenBatchMs: 50 },
  memories: [],
});
let firstTokenAt = null;
let tokens = 0;
for (let n = 1; n <= Number(reflections); n++) {
  const reflection = await mind.think(mind.promptFor({ n }), () => {
    if (firstTokenAt === null) {
      firstTokenAt = Date.now();
      say({ kind: 'first-token' });
    }
  });
  tokens += reflection.tokens;
}
say({ kind: 'done', tokens, generationMs: Date.now() - firstTokenAt });
process.exit(0);
