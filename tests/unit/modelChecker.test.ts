import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ModelChecker } from '../../electron/core/gguf/checkOffLoop.js';
import { DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import { validateModel } from '../../electron/core/gguf/validateModel.js';

/** The longest the event loop stood still while `work` ran, from a 5 ms interval. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(interval);
  }
  return Math.max(longest, performance.now() - last);
}

describe('models.check off the event loop', () => {
  let dir: string;
  let model: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-check-'));
    model = path.join(dir, 'big-vocabulary.gguf');
    // A real model's vocabulary (Gemma's is 256k tokens): megabytes of header to read.
    generateModel(model, { ...DEMO_MODEL_SPEC, vocabSize: 256_000 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("answers what validateModel says, and a refusal's reason", async () => {
    const checker = new ModelChecker();
    const direct = validateModel(model);
    assert.ok(direct.ok);
    assert.deepEqual(await checker.check(model), { ok: true, check: direct.check });
    const missing = await checker.check(path.join(dir, 'gone.gguf'));
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.message : '', /gone\.gguf: no such file/);
  });

  it('leaves the loop free while the headers are read, where reading them on it stalls it', async () => {
    const onLoop = await longestStall(async () => validateModel(model));
    assert.ok(onLoop > 40, `a 256k vocabulary read on the loop should stall it visibly (${onLoop.toFixed(0)} ms)`);
    const checker = new ModelChecker();
    const copy = path.join(dir, 'copy.gguf');
    fs.copyFileSync(model, copy);
    let answers: Array<{ ok: boolean }> = [];
    const offLoop = await longestStall(async () => {
      answers = await Promise.all([
        checker.check(model),
        checker.check(copy),
        checker.check(model),
        checker.check(copy),
      ]);
    });
    assert.deepEqual(
      answers.map((answer) => answer.ok),
      [true, true, true, true],
    );
    // Four checks on the loop would stall it four times as long as one.
    assert.ok(
      offLoop < onLoop,
      `stood still ${offLoop.toFixed(0)} ms with the checks in a thread, ${onLoop.toFixed(0)} on it`,
    );
  });

  it('answers the same file asked for twice at once with one check', () => {
    const checker = new ModelChecker();
    assert.equal(checker.check(model), checker.check(path.join(dir, '.', 'big-vocabulary.gguf')));
  });

  it('answers within its deadline when the read takes longer, naming the file', async () => {
    const checker = new ModelChecker(1);
    const answer = await checker.check(model);
    assert.equal(answer.ok, false);
    assert.match(!answer.ok ? answer.message : '', /big-vocabulary\.gguf: reading its header took more than/);
  });
});
