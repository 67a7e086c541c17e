import fs from 'node:fs';
import path from 'node:path';

import type { ModelCheck } from '../../../shared/api.js';
import { GGML_TYPES } from './ggmlTypes.js';
import { GgufFormatError, metadataNumber, metadataString, readGgufHeader, type GgufHeader } from './readGguf.js';

/**
 * Checks a model file before any worker is spawned for it. llama.cpp trusts the file: a head count of 0 makes it abort
 * the whole process, and a truncated file fails deep inside the load with a generic error. Everything here is cheap
 * (the header only), so it runs before every start.
 */

export type ModelProblem =
  | 'missing'
  | 'not-a-file'
  | 'unreadable'
  | 'not-gguf'
  | 'unsupported-version'
  | 'truncated'
  | 'corrupt'
  | 'bad-metadata'
  | 'bad-tensor';

export type ModelValidation =
  | { ok: true; check: ModelCheck; header: GgufHeader }
  /** `message` is "Model <file>: <reason>"; the parts are kept for a refusal that names the file its own way. */
  | { ok: false; problem: ModelProblem; message: string; file: string; reason: string };

/** Architectures without attention, for which a missing head count is normal. */
const ATTENTION_FREE = /^(mamba|mamba2|rwkv\d*|rwkv\d*qwen\d*)$/;

function problem(kind: ModelProblem, file: string, reason: string): ModelValidation {
  return { ok: false, problem: kind, message: `Model ${file}: ${reason}`, file, reason };
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

  let header: GgufHeader;
  try {
    header = readGgufHeader(shown);
  } catch (error) {
    if (error instanceof GgufFormatError) {
      const advice =
        error.kind === 'truncated'
          ? ' The file is incomplete: download or copy it again.'
          : error.kind === 'not-gguf'
            ? ' Choose a .gguf model file.'
            : '';
      return problem(error.kind, shown, `${error.reason}.${advice}`);
    }
    const code = (error as NodeJS.ErrnoException).code;
    return problem('unreadable', shown, `cannot be read (${code ?? String(error)}).`);
  }

  const architecture = metadataString(header, 'general.architecture');
  if (!architecture) return problem('bad-metadata', shown, 'has no general.architecture in its metadata.');

  const positive = (key: string, required: boolean): ModelValidation | null => {
    const full = `${architecture}.${key}`;
    const value = metadataNumber(header, full);
    if (value === undefined) {
      return required ? problem('bad-metadata', shown, `has no ${full} in its metadata.`) : null;
    }
    if (!(value > 0)) {
      return problem('bad-metadata', shown, `${full} is ${value}; llama.cpp would abort loading it.`);
    }
    return null;
  };
  const attention = !ATTENTION_FREE.test(architecture);
  const metadataProblem =
    positive('block_count', true) ??
    positive('embedding_length', true) ??
    positive('attention.head_count', attention) ??
    positive('attention.head_count_kv', false);
  if (metadataProblem) return metadataProblem;

  if (header.tensors.length === 0) return problem('bad-tensor', shown, 'has no tensors.');
  const dataBytes = header.fileSize - header.dataOffset;
  for (const tensor of header.tensors) {
    if (!GGML_TYPES.has(tensor.type)) {
      return problem(
        'bad-tensor',
        shown,
        `tensor ${tensor.name} has type ${tensor.type}, which llama.cpp does not know.`,
      );
    }
    if (tensor.dims.some((d) => d <= 0) || tensor.bytes === null) {
      return problem('bad-tensor', shown, `tensor ${tensor.name} has an impossible shape [${tensor.dims.join(', ')}].`);
    }
    if (tensor.offset % header.alignment !== 0) {
      return problem('bad-tensor', shown, `tensor ${tensor.name} is not aligned to ${header.alignment} bytes.`);
    }
    if (tensor.offset + tensor.bytes > dataBytes) {
      return problem(
        'truncated',
        shown,
        `tensor ${tensor.name} ends at byte ${header.dataOffset + tensor.offset + tensor.bytes}, past the end of the ` +
          `file (${header.fileSize} bytes). The file is incomplete: download or copy it again.`,
      );
    }
  }

  return {
    ok: true,
    header,
    check: {
      path: shown,
      architecture,
      name: metadataString(header, 'general.name') ?? path.basename(shown, path.extname(shown)),
      sizeBytes: header.fileSize,
      blockCount: metadataNumber(header, `${architecture}.block_count`) ?? 0,
    },
  };
}
