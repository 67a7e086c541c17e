import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GENERATED_ARCHITECTURES } from '../../electron/core/gguf/generatedArchitectures.js';
import { readGgufHeader } from '../../electron/core/gguf/readGguf.js';
import { Mind } from '../../electron/worker/mind.js';
import type { WorkerConfig } from '../../electron/worker/protocol.js';
import { oddModels } from '../helpers/oddModels.js';

/**
 * The architectures users run load in llama.cpp and think, through the worker's own path (Mind): generated models
 * of each, none with a chat template, plus an older GGUF version and a split set. One process, one thread each.
 */
describe('the files users have load and think', { timeout: 120_000 }, () => {
  const models = oddModels();
  const files = [
    ...GENERATED_ARCHITECTURES.map((architecture) => [architecture, models.architectures[architecture]] as const),
    ['GGUF version 2', models.version2] as const,
    ['a split set of three', models.split] as const,
  ];

  for (const [kind, file] of files) {
    it(`${kind}: loads, and a reflection comes back in words`, async () => {
      assert.equal(readGgufHeader(file).metadata.has('tokenizer.chat_template'), false, 'no chat template');
      const config: WorkerConfig = {
        instance: 'SUBJECT',
        modelPath: file,
        demo: false,
        deaths: 0,
        plan: { gpuLayers: 0, contextSize: 1024, batchSize: 512, threads: 1, useMmap: true, useMlock: false },
        generation: { maxTokens: 16, temperature: 0.7, tokenBatchMs: 50 },
        memories: [],
      };
      const mind = await Mind.create(config);
      assert.equal(mind.load.contextSize, 1024);
      assert.ok(mind.load.promptFit.neededContext <= 1024, JSON.stringify(mind.load.promptFit));
      let streamed = '';
      const reflection = await mind.think(mind.promptFor({ n: 1 }), (text) => (streamed += text));
      assert.ok(reflection.complete && reflection.tokens > 0, JSON.stringify(reflection));
      assert.equal(reflection.text, streamed);
      // The generated weights favour the vocabulary's words: printable text, not raw bytes.
      assert.match(reflection.text.trim(), /^[\x20-\x7e]+$/, reflection.text);
      await mind.dispose();
    });
  }
});
