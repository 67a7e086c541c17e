import { GGML_TYPES } from './ggmlTypes.js';
import type { GgufHeader } from './readGguf.js';

/** The kinds of model file the host refuses before loading, and the checks that a split model's parts share. */

export type ModelProblem =
  | 'missing'
  | 'not-a-file'
  | 'unreadable'
  | 'not-gguf'
  | 'unsupported-version'
  | 'truncated'
  | 'corrupt'
  | 'bad-metadata'
  | 'bad-tensor'
  /** general.architecture is not one llama.cpp knows. */
  | 'unknown-architecture'
  /** A GGUF of another kind: an mmproj, an adapter, an encoder, a speech or draft model. */
  | 'not-a-language-model'
  /** Tokenizer data and no weights. */
  | 'vocabulary-only'
  /** Weights and no tokenizer: nothing could read a prompt. */
  | 'no-vocabulary'
  /** A part of a split model, or a split set with a part missing or not matching. */
  | 'split-set';

export interface Refusal {
  problem: ModelProblem;
  reason: string;
}

/** The first problem of a header's tensor table (types, shapes, alignment, data inside the file), or null. */
export function tensorProblem(header: GgufHeader): Refusal | null {
  const dataBytes = header.fileSize - header.dataOffset;
  for (const tensor of header.tensors) {
    if (!GGML_TYPES.has(tensor.type)) {
      return {
        problem: 'bad-tensor',
        reason: `tensor ${tensor.name} has type ${tensor.type}, which llama.cpp does not know.`,
      };
    }
    if (tensor.dims.some((d) => d <= 0) || tensor.bytes === null) {
      return {
        problem: 'bad-tensor',
        reason: `tensor ${tensor.name} has an impossible shape [${tensor.dims.join(', ')}].`,
      };
    }
    if (tensor.offset % header.alignment !== 0) {
      return { problem: 'bad-tensor', reason: `tensor ${tensor.name} is not aligned to ${header.alignment} bytes.` };
    }
    if (tensor.offset + tensor.bytes > dataBytes) {
      return {
        problem: 'truncated',
        reason:
          `tensor ${tensor.name} ends at byte ${header.dataOffset + tensor.offset + tensor.bytes}, past the end of the ` +
          `file (${header.fileSize} bytes). The file is incomplete: download or copy it again.`,
      };
    }
  }
  return null;
}
