import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { ARCHITECTURES, architectureSupport } from '../../electron/core/gguf/architectures.js';
import { GENERATED_ARCHITECTURES } from '../../electron/core/gguf/generatedArchitectures.js';
import { readGgufHeader } from '../../electron/core/gguf/readGguf.js';
import { validateModel, type ModelProblem } from '../../electron/core/gguf/validateModel.js';
import { modelProfile } from '../../electron/core/planner/modelProfile.js';
import { oddModels, type OddModels } from '../helpers/oddModels.js';

/** The files users actually have: each either passes the checks, or is refused saying what it is and what to do. */
describe('the model files users have', () => {
  const models = oddModels();

  it('accepts every architecture the generator writes, tested, each with its own required tensors', () => {
    for (const architecture of GENERATED_ARCHITECTURES) {
      const result = validateModel(models.architectures[architecture]);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.check.architecture, architecture);
      assert.equal(result.check.support, 'tested');
    }
    const names = (architecture: keyof OddModels['architectures']) =>
      readGgufHeader(models.architectures[architecture]).tensors.map((tensor) => tensor.name);
    assert.ok(names('qwen2').includes('blk.0.attn_q.bias'), 'qwen2 has attention biases');
    assert.ok(names('qwen3').includes('blk.0.attn_q_norm.weight'), 'qwen3 norms each head');
    assert.ok(!names('gemma2').includes('output.weight'), 'gemma ties its output to the embedding');
    assert.ok(names('gemma3').includes('blk.1.post_ffw_norm.weight'), 'gemma has its own post norms');
    assert.ok(names('phi3').includes('blk.0.attn_qkv.weight'), 'phi3 fuses q, k and v');
    assert.ok(!names('phi3').includes('blk.0.ffn_gate.weight'), 'and gate with up');
  });

  it('plans a tied-output model with the embedding counted again for the output layer', () => {
    const gemma = modelProfile(models.architectures.gemma2, readGgufHeader(models.architectures.gemma2));
    assert.ok(gemma.outputBytes > gemma.inputBytes, 'the output layer is the embedding, plus its norm');
  });

  it('reads GGUF version 2 as well as 3', () => {
    const result = validateModel(models.version2);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.header.version, 2);
  });

  it('accepts a whole split set from its first part, and sizes all its parts', () => {
    const result = validateModel(models.split);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.check.parts, 3);
    const sizes = [1, 2, 3].map((part) => fs.statSync(models.split.replace('00001-of', `0000${part}-of`)).size);
    assert.equal(result.check.sizeBytes, sizes[0]! + sizes[1]! + sizes[2]!);
    const single = validateModel(models.version2);
    assert.ok(single.ok);
    assert.equal(result.header.tensors.length, single.header.tensors.length, 'every tensor, over the parts');
    const profile = modelProfile(models.split, result.header);
    const whole = modelProfile(models.version2, single.header);
    assert.deepEqual(profile.layerBytes, whole.layerBytes);
    assert.equal(profile.outputBytes, whole.outputBytes);
  });

  const refusals: Array<[keyof OddModels, ModelProblem, RegExp]> = [
    ['version1', 'unsupported-version', /GGUF version 1, from 2023; llama\.cpp reads versions 2 and 3: convert/],
    ['bigEndian', 'unsupported-version', /big-endian GGUF .* reads little-endian files/],
    ['splitSecondPart', 'split-set', /is part 2 of 3 of a split model; .* choose mind-00001-of-00003\.gguf\.$/],
    ['splitMissingPart', 'split-set', /part 2 of 3, mind-00002-of-00003\.gguf, is missing: put every part/],
    ['splitRenamed', 'split-set', /first of 3 parts .* does not end in -00001-of-00003\.gguf: give the parts/],
    ['splitCountMismatch', 'split-set', /part 3 of 3, .* says there are 4 parts: the parts are from different/],
    ['splitTensorCountMismatch', 'split-set', /parts hold 14 tensors, but its first part says 21/],
    ['splitTruncatedPart', 'truncated', /in part 3 of 3, mind-00003-of-00003\.gguf, tensor .* past the end/],
    ['vocabularyOnly', 'vocabulary-only', /holds only a vocabulary \(tokenizer data, no weights\)/],
    ['noVocabulary', 'no-vocabulary', /has no vocabulary \(tokenizer\.ggml\.tokens\)/],
    [
      'mmproj',
      'not-a-language-model',
      /is a multimodal projector \(mmproj\), not a language model: choose the model file it belongs to/,
    ],
    ['adapter', 'not-a-language-model', /is a LoRA adapter .* choose the base model it adapts/],
    [
      'namedPhi3',
      'bad-metadata',
      /is named 'Phi-3 mini \(generated\)', .* lacks <\|endoftext\|>, so llama\.cpp would fail/,
    ],
    ['encoder', 'not-a-language-model', /is an embedding model \(an encoder\).*cannot write reflections/],
    [
      'unknownArchitecture',
      'unknown-architecture',
      /general\.architecture 'jarbrain' is not one that llama\.cpp \(as node-llama-cpp 3\.21\.1 ships it\) can load/,
    ],
  ];
  for (const [kind, problem, reason] of refusals) {
    it(`refuses ${kind}, naming the file and saying what it is`, () => {
      const file = models[kind] as string;
      const result = validateModel(file);
      assert.ok(!result.ok, `${kind} was accepted`);
      assert.equal(result.problem, problem, result.message);
      assert.ok(result.message.startsWith(`Model ${path.resolve(file)}: `), result.message);
      assert.match(result.message, reason);
    });
  }

  it('plans what llama.cpp knows but these tests have not loaded, saying how well it knows it', () => {
    const recurrent = validateModel(models.recurrent);
    assert.ok(recurrent.ok, JSON.stringify(recurrent));
    assert.equal(recurrent.check.support, 'recurrent');
    const known = validateModel(models.knownUntested);
    assert.ok(known.ok, JSON.stringify(known));
    assert.equal(known.check.support, 'known');
  });

  it('knows every architecture once, with a reason for each it refuses', () => {
    assert.equal(ARCHITECTURES.size, 148);
    for (const [name, support] of ARCHITECTURES) {
      if (support.status === 'refused') assert.ok(support.reason, name);
    }
    assert.equal(architectureSupport('mistral'), null, 'Mistral models say llama');
    assert.equal(architectureSupport('llama')?.status, 'tested');
  });

  it("names only architectures that node-llama-cpp's llama.cpp binary has", () => {
    const bins = path.join(import.meta.dirname, '../../node_modules/@node-llama-cpp', `linux-${process.arch}`, 'bins');
    const library = fs.existsSync(bins)
      ? fs
          .readdirSync(bins, { recursive: true })
          .map(String)
          .find((name) => /libllama\.[^/]*so$/.test(name))
      : undefined;
    if (!library) return; // another platform's binary: the table is checked where the tests run
    const binary = fs.readFileSync(path.join(bins, library)).toString('latin1');
    for (const name of ARCHITECTURES.keys()) assert.ok(binary.includes(`${name}\0`), `${name} is in ${library}`);
  });
});
