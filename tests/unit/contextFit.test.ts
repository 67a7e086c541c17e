import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { getLlama, type Llama, type LlamaModel } from 'node-llama-cpp';

import { GIB, NO_GPU, type BoardResources } from '../../shared/board.js';
import { ROLES, SHOWN_REFLECTIONS, type Role } from '../../shared/instances.js';
import type { Strategy } from '../../shared/plan.js';
import { DEMO_MODEL_SPEC, generateModel, type ModelSpec } from '../../electron/core/gguf/generateModel.js';
import { readGgufHeader, type GgufHeader } from '../../electron/core/gguf/readGguf.js';
import { validateModel } from '../../electron/core/gguf/validateModel.js';
import { tokenCounter } from '../../electron/core/gguf/vocabulary.js';
import { contextFloor } from '../../electron/core/planner/contextFloor.js';
import { estimateMemory } from '../../electron/core/planner/estimate.js';
import { modelProfile, type ModelProfile } from '../../electron/core/planner/modelProfile.js';
import { PLAN_ERROR_POLICY } from '../../electron/core/planner/planErrorPolicy.js';
import { makePlan, type PlanRequest } from '../../electron/core/planner/planner.js';
import {
  neededContext,
  replyRoom,
  TEMPLATE_ALLOWANCE_TOKENS,
  USEFUL_REFLECTION_TOKENS,
} from '../../electron/worker/promptFit.js';
import { MIN_EXCERPT_CHARS, shortestPrompts, watcherPrompt } from '../../electron/worker/prompts.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-context-'));
function generated(name: string, spec: Partial<ModelSpec> = {}): string {
  const file = path.join(dir, `${name}.gguf`);
  generateModel(file, { ...DEMO_MODEL_SPEC, name, ...spec });
  return file;
}
function profile(file: string): ModelProfile {
  const validation = validateModel(file);
  assert.ok(validation.ok, JSON.stringify(validation));
  return modelProfile(file, validation.header);
}

describe('counting tokens with the model’s own vocabulary', () => {
  let llama: Llama;
  let model: LlamaModel;
  const file = generated('counted', { vocabSize: 2000 });
  before(async () => {
    llama = await getLlama({ build: 'never', gpu: false });
    model = await llama.loadModel({ modelPath: file, vocabOnly: true });
  });
  after(async () => {
    await model.dispose();
    await llama.dispose();
  });

  it('counts a SentencePiece vocabulary exactly as llama.cpp tokenizes', () => {
    const counter = tokenCounter(readGgufHeader(file));
    assert.equal(counter.counting, 'exact');
    const texts = [
      'the mind in the jar',
      'I am a mind. a a I',
      '  two  spaces and a tab\t',
      'héllo wörld ✓ 😀 日本',
      ...ROLES.flatMap((role) => Object.values(shortestPrompts(role))),
    ];
    for (const text of texts) assert.equal(counter.count(text), model.tokenize(text).length, JSON.stringify(text));
  });

  it('estimates another kind of vocabulary by its longest pieces, and counts bytes where there is none', () => {
    const header = (metadata: Array<[string, unknown]>): GgufHeader => ({
      ...readGgufHeader(file),
      metadata: new Map(metadata as Array<[string, never]>),
    });
    const alphabet = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i));
    const bpe = tokenCounter(
      header([
        ['tokenizer.ggml.model', 'gpt2'],
        ['tokenizer.ggml.tokens', { itemType: 8, length: 97, values: [...alphabet, 'Ġ', 'Ġmind', 'Ġjar'] }],
      ]),
    );
    assert.equal(bpe.counting, 'estimate');
    assert.equal(bpe.count('the mind jar'), 3 + 1 + 1);
    const none = tokenCounter(header([]));
    assert.equal(none.counting, 'bytes');
    assert.equal(none.count('jar ✓'), 7);
  });
});

describe('what a context must hold', () => {
  it('holds the prompts, the template and a useful reflection in nine tenths of it, and not one token less', () => {
    const needs = { systemTokens: 500, promptTokens: 30, templateTokens: TEMPLATE_ALLOWANCE_TOKENS };
    const context = neededContext({ ...needs, reflectionTokens: USEFUL_REFLECTION_TOKENS });
    assert.equal(context, Math.ceil(((500 + 30 + 64 + 128) * 10) / 9));
    assert.ok(replyRoom(context, needs) >= USEFUL_REFLECTION_TOKENS);
    assert.ok(replyRoom(context - 1, needs) < USEFUL_REFLECTION_TOKENS);
  });

  it("sizes a watcher's prompt at its shortest: every watched mind's thoughts cut, the latest news of each", () => {
    const { prompt } = shortestPrompts('GOD');
    assert.match(prompt, /^\(99 earlier events not shown\.\)\nSUBJECT has just died: .*\nOBSERVER has just died: /);
    const excerpts = prompt.match(/"\.\.\.[^"]*"/g) ?? [];
    assert.equal(excerpts.length, 2 * SHOWN_REFLECTIONS);
    for (const excerpt of excerpts) assert.equal(excerpt.length, MIN_EXCERPT_CHARS + 5);
    assert.match(prompt, /Continue your contemplation\.$/);
    assert.equal(shortestPrompts('SUBJECT').prompt, 'Continue your contemplation.');
  });

  it("cuts a watcher's news to the latest lines when asked, and says how many it left out", () => {
    const news = ['one', 'two', 'x'.repeat(500)];
    const prompt = watcherPrompt([], news, false, { excerptChars: 60, newsLines: 1 });
    assert.match(prompt, /^\(2 earlier events not shown\.\)\n\.\.\.x{120}\nContinue your contemplation\.$/);
    assert.match(watcherPrompt([], news, true, { excerptChars: 60 }), /^one\ntwo\nx{500}\nBegin/);
  });
});

function board(ramGb: number): BoardResources {
  return {
    ramTotalBytes: ramGb * GIB,
    ramAvailableBytes: ramGb * GIB,
    cores: 4,
    gpu: NO_GPU,
    backend: null,
    source: 'test',
  };
}

function request(
  model: ModelProfile,
  options: { strategy?: Strategy; contextSize?: number; limitGb?: number; ramGb?: number; roles?: Role[] } = {},
): PlanRequest {
  return {
    resources: board(options.ramGb ?? 16),
    gpuThresholdPercent: 85,
    reserveBytes: 2 * GIB,
    ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
    instances: (options.roles ?? [...ROLES]).map((role) => ({
      role,
      model,
      ramLimitBytes: (options.limitGb ?? 2) * GIB,
      strategy: options.strategy ?? 'fit',
      ...(options.strategy === 'manual' ? { manual: { gpuLayers: 0, contextSize: options.contextSize ?? 512 } } : {}),
    })),
  };
}

describe('a plan fits what the minds will be asked', () => {
  const short = profile(generated('short-context', { contextLength: 512 }));
  const demo = profile(generated('demo'));

  it('counts each role’s prompts with the model’s vocabulary: the watchers need more than SUBJECT', () => {
    const needed = ROLES.map((role) => contextFloor(demo, role)!.prompts.neededContext);
    assert.ok(needed[0]! < needed[1]! && needed[1]! < needed[2]!, needed.join(' < '));
    // The generated vocabulary spells the prompts out almost letter by letter: about a token a character.
    const { system, prompt } = shortestPrompts('SUBJECT');
    const tokens = contextFloor(demo, 'SUBJECT')!.prompts.tokens;
    assert.ok(tokens > 0.9 * (system.length + prompt.length) && tokens <= system.length + prompt.length + 1);
  });

  it('refuses a model whose own context cannot hold the prompts, before anything loads, naming it all', () => {
    const outcome = makePlan(request(short));
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'CONTEXT_TOO_SMALL');
    assert.equal(outcome.error.field, 'models.SUBJECT');
    const needed = contextFloor(short, 'SUBJECT')!.prompts.neededContext;
    assert.equal(
      outcome.error.message,
      `SUBJECT: a context of 512 tokens cannot hold its prompts (${needed} tokens needed with a 128-token ` +
        'reflection, counted with its vocabulary); the model allows at most 512: choose a model with a longer context',
    );
    assert.deepEqual(PLAN_ERROR_POLICY.CONTEXT_TOO_SMALL, {
      instance: 'refuse',
      settingsChange: 'refuse',
      modeSwitch: 'refuse',
    });
  });

  it('takes a larger context than asked where the model allows it, and says why', () => {
    const outcome = makePlan(request(demo, { contextSize: 512 }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    for (const plan of outcome.plan.instances) {
      assert.ok(plan.prompts, plan.instance);
      assert.ok(plan.contextSize >= plan.prompts.neededContext, `${plan.instance}: ${plan.contextSize}`);
      assert.equal(plan.contextSize % 256, 0);
      assert.match(plan.limitedBy, /context raised to \d+ to hold the prompts \(\d+ tokens needed\)/);
    }
  });

  it("raises the seed strategy's context to hold the prompts too", () => {
    const outcome = makePlan(request(demo, { strategy: 'seed', ramGb: 7, limitGb: 1 }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const god = outcome.plan.instances.find((plan) => plan.instance === 'GOD')!;
    assert.ok(god.contextSize >= god.prompts!.neededContext && god.contextSize > 1024, String(god.contextSize));
  });

  it("refuses an operator's manual context that cannot hold the prompts, saying how large it must be", () => {
    const outcome = makePlan(request(demo, { strategy: 'manual', contextSize: 512, roles: ['SUBJECT'] }));
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'CONTEXT_TOO_SMALL');
    assert.equal(outcome.error.field, 'SUBJECT.contextSize');
    const needed = contextFloor(demo, 'SUBJECT')!.prompts.neededContext;
    assert.match(outcome.error.message, new RegExp(`set its manual context to at least ${needed}$`));
  });

  it('never shrinks a context below what the prompts need to fit a RAM limit: it refuses the limit instead', () => {
    const floor = contextFloor(demo, 'GOD')!.floor;
    const ram = (contextSize: number) => estimateMemory(demo, { gpuLayers: 0, contextSize, batchSize: 512 }).ramBytes;
    const plan = (limitBytes: number) =>
      makePlan({
        ...request(demo, { roles: ['GOD'], contextSize: 2048 }),
        instances: [{ ...request(demo).instances[2]!, ramLimitBytes: limitBytes }],
      });
    const justFits = plan(ram(floor) + 1);
    assert.ok(justFits.ok, JSON.stringify(justFits));
    assert.equal(justFits.plan.instances[0]!.contextSize, floor);
    assert.match(justFits.plan.instances[0]!.limitedBy, new RegExp(`context cut to ${floor} by the RAM limit`));
    const tooTight = plan(ram(floor) - 1);
    assert.ok(!tooTight.ok);
    assert.equal(tooTight.error.code, 'MODEL_TOO_LARGE');
    assert.match(tooTight.error.message, new RegExp(`and a context of ${floor}, more than its RAM limit`));
  });

  it('warns where the architecture is known to llama.cpp but not tested here', () => {
    const starcoder = path.join(dir, 'starcoder2.gguf');
    generateModel(starcoder, { ...DEMO_MODEL_SPEC, name: 'untested' });
    const known = { ...profile(starcoder), architecture: 'starcoder2' };
    const outcome = makePlan(request(known, { roles: ['SUBJECT'] }));
    assert.ok(outcome.ok);
    assert.match(outcome.plan.instances[0]!.warnings.join(), /architecture starcoder2 is known to llama\.cpp but not/);
    const plain = makePlan(request(demo, { roles: ['SUBJECT'] }));
    assert.ok(plain.ok);
    assert.deepEqual(plain.plan.instances[0]!.warnings, []);
  });
});
