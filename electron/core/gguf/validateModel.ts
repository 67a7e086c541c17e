import fs from 'node:fs';
import path from 'node:path';

import type { ModelCheck } from '../../../shared/api.js';
import { architectureSupport, LLAMA_CPP_BUILD } from './architectures.js';
import { tensorProblem, type ModelProblem, type Refusal } from './headerChecks.js';
import { GgufFormatError, metadataNumber, metadataString, readGgufHeader, type GgufHeader } from './readGguf.js';
import { readSplitSet } from './splitModel.js';

export type { ModelProblem } from './headerChecks.js';

/**
 * Checks a model file before any worker is spawned for it. llama.cpp trusts the file: a head count of 0 makes it abort
 * the whole process, and a truncated file fails deep inside the load with a generic error. Everything here is cheap
 * (the headers only), so it runs before every start. A file that is not a language model llama.cpp can load (an
 * mmproj, an adapter, a vocabulary, an architecture it does not know) is refused here, saying what it is.
 */

export type ModelValidation =
  | { ok: true; check: ModelCheck; header: GgufHeader }
  /** `message` is "Model <file>: <reason>"; the parts are kept for a refusal that names the file its own way. */
  | { ok: false; problem: ModelProblem; message: string; file: string; reason: string };

/** What general.type says a GGUF is when it is not a model (gguf-py's GGUFType). */
const NOT_MODELS: Record<string, string> = {
  adapter: 'a LoRA adapter (general.type adapter), not a model: choose the base model it adapts',
  imatrix: 'an importance matrix for quantizing (general.type imatrix), not a model',
  mmproj:
    'a multimodal projector (mmproj), not a language model: choose the model file it belongs to (the mmproj ' +
    'file is only its image or audio encoder)',
};

function problem(kind: ModelProblem, file: string, reason: string): ModelValidation {
  return { ok: false, problem: kind, message: `Model ${file}: ${reason}`, file, reason };
}

/** A GGUF format error as a refusal, with the advice that goes with it. */
export function formatRefusal(error: GgufFormatError): Refusal {
  const advice =
    error.kind === 'truncated'
      ? ' The file is incomplete: download or copy it again.'
      : error.kind === 'not-gguf'
        ? ' Choose a .gguf model file.'
        : '';
  return { problem: error.kind, reason: `${error.reason}.${advice}` };
}

/** What kind of file the metadata says this is, when it is not a language model llama.cpp can load; else null. */
function kindProblem(header: GgufHeader, architecture: string): Refusal | null {
  const type = metadataString(header, 'general.type');
  if (type && NOT_MODELS[type]) return { problem: 'not-a-language-model', reason: `is ${NOT_MODELS[type]}.` };
  const support = architectureSupport(architecture);
  if (!support) {
    return {
      problem: 'unknown-architecture',
      reason:
        `general.architecture '${architecture}' is not one that llama.cpp (as ${LLAMA_CPP_BUILD} ships it) can ` +
        'load. Choose a model of a known architecture, such as llama, qwen2, qwen3, gemma2, gemma3 or phi3.',
    };
  }
  if (support.status === 'refused') return { problem: 'not-a-language-model', reason: `is ${support.reason}.` };
  return null;
}

function metadataProblem(header: GgufHeader, architecture: string): Refusal | null {
  const positive = (key: string, required: boolean): Refusal | null => {
    const full = `${architecture}.${key}`;
    const value = metadataNumber(header, full);
    if (value === undefined)
      return required ? { problem: 'bad-metadata', reason: `has no ${full} in its metadata.` } : null;
    if (!(value > 0))
      return { problem: 'bad-metadata', reason: `${full} is ${value}; llama.cpp would abort loading it.` };
    return null;
  };
  const attention = !architectureSupport(architecture)?.attentionFree;
  return (
    positive('block_count', true) ??
    positive('embedding_length', true) ??
    positive('attention.head_count', attention) ??
    positive('attention.head_count_kv', false)
  );
}

/** No tensors at all: llama.cpp's vocabulary files (--vocab-only), or an empty shell. */
function weightsProblem(header: GgufHeader): Refusal | null {
  if (header.tensors.length > 0) return null;
  if (header.metadata.has('tokenizer.ggml.tokens')) {
    return {
      problem: 'vocabulary-only',
      reason:
        'holds only a vocabulary (tokenizer data, no weights): it is a tokenizer file, not a model. Choose the ' +
        'model file itself.',
    };
  }
  return { problem: 'bad-tensor', reason: 'has no tensors.' };
}

function vocabularyProblem(header: GgufHeader): Refusal | null {
  const tokenizer = metadataString(header, 'tokenizer.ggml.model');
  if (tokenizer === 'none') {
    return {
      problem: 'no-vocabulary',
      reason: 'has no tokenizer (tokenizer.ggml.model is "none"): nothing could turn a prompt into its tokens.',
    };
  }
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  if (tokens === undefined) {
    return {
      problem: 'no-vocabulary',
      reason: 'has no vocabulary (tokenizer.ggml.tokens): llama.cpp cannot load a model without one.',
    };
  }
  // llama.cpp marks these tokens of a model whose general.name says Phi-3, and fails ("_Map_base::at") without them.
  const name = metadataString(header, 'general.name') ?? '';
  if (/phi-?3/i.test(name) && typeof tokens === 'object' && tokens.values) {
    const missing = PHI3_TOKENS.filter((token) => !tokens.values!.includes(token));
    if (missing.length > 0) {
      return {
        problem: 'bad-metadata',
        reason:
          `is named '${name}', and llama.cpp expects a model named Phi-3 to have the tokens ` +
          `${PHI3_TOKENS.join(' ')}; this one lacks ${missing.join(' ')}, so llama.cpp would fail to load it.`,
      };
    }
  }
  return null;
}

const PHI3_TOKENS = ['<unk>', '<s>', '</s>', '<|endoftext|>'];

function readHeader(file: string): { ok: true; header: GgufHeader } | { ok: false; refusal: Refusal } {
  try {
    return { ok: true, header: readGgufHeader(file) };
  } catch (error) {
    if (error instanceof GgufFormatError) return { ok: false, refusal: formatRefusal(error) };
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, refusal: { problem: 'unreadable', reason: `cannot be read (${code ?? String(error)}).` } };
  }
}

export function validateModel(file: string): ModelValidation {
  const shown = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(shown);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? problem('missing', shown, 'no such file. Check the path, or choose the model again.')
      : problem('unreadable', shown, `cannot be read (${code ?? String(error)}).`);
  }
  if (stat.isDirectory()) return problem('not-a-file', shown, 'is a directory, not a .gguf file.');
  if (!stat.isFile()) return problem('not-a-file', shown, 'is not a regular file.');

  const read = readHeader(shown);
  if (!read.ok) return problem(read.refusal.problem, shown, read.refusal.reason);
  const first = read.header;

  const split = readSplitSet(shown, first, readHeader);
  if (!split.ok) return problem(split.refusal.problem, shown, split.refusal.reason);
  const header = split.header;

  const architecture = metadataString(header, 'general.architecture');
  if (!architecture) return problem('bad-metadata', shown, 'has no general.architecture in its metadata.');
  const refusal =
    kindProblem(header, architecture) ??
    weightsProblem(header) ??
    metadataProblem(header, architecture) ??
    vocabularyProblem(header);
  if (refusal) return problem(refusal.problem, shown, refusal.reason);
  if (split.parts.length === 1) {
    const tensors = tensorProblem(first);
    if (tensors) return problem(tensors.problem, shown, tensors.reason);
  }

  const { status } = architectureSupport(architecture)!;
  return {
    ok: true,
    header,
    check: {
      path: shown,
      architecture,
      name: metadataString(header, 'general.name') ?? path.basename(shown, path.extname(shown)),
      sizeBytes: header.fileSize,
      blockCount: metadataNumber(header, `${architecture}.block_count`) ?? 0,
      parts: split.parts.length,
      support: status,
    },
  };
}
