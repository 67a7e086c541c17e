import type { ArchitectureStatus } from '../../../shared/api.js';

/**
 * What this app does with each general.architecture a GGUF can name. The names are those llama.cpp's loader knows in
 * the build node-llama-cpp 3.21.1 ships (its src/llama-arch.cpp); a name outside this table would make llama.cpp
 * fail the load ("unknown model architecture"), so it is refused before anything loads. Of the known ones:
 * - tested: loads and thinks; the tests generate a model of it and load it (generatedArchitectures.ts);
 * - known: llama.cpp has a loader for it; planned with the transformer estimate; not tested here;
 * - recurrent: known, but its memory is a recurrent state rather than (only) an attention cache: planned with the
 *   transformer estimate, which the plan says may be off;
 * - refused: llama.cpp reads it, but it cannot write reflections (a projector, an encoder, a speech or draft model,
 *   a diffusion model); `reason` says what it is and what to choose instead.
 */

export interface ArchitectureSupport {
  status: ArchitectureStatus;
  /** For refused ones: what the file is, as a clause after "is". */
  reason?: string;
  /** Has no attention heads: no head count in its metadata. */
  attentionFree?: boolean;
}

/** node-llama-cpp's version, whose llama.cpp this table describes. */
export const LLAMA_CPP_BUILD = 'node-llama-cpp 3.21.1';

const TESTED = ['llama', 'qwen2', 'qwen3', 'gemma2', 'gemma3', 'phi3'];

const ATTENTION_FREE = ['mamba', 'mamba2', 'rwkv6', 'rwkv6qwen2', 'rwkv7', 'arwkv7'];
const HYBRID = [
  'jamba',
  'falcon-h1',
  'granitehybrid',
  'nemotron_h',
  'nemotron_h_moe',
  'lfm2',
  'lfm2moe',
  'plamo2',
  'qwen3next',
  'qwen35',
  'qwen35moe',
  'kimi-linear',
];

const MMPROJ =
  'a multimodal projector (mmproj), not a language model: choose the model file it belongs to (the mmproj file ' +
  'is only its image or audio encoder)';
const ENCODER = 'an embedding model (an encoder): it turns text into vectors and cannot write reflections';
const SPEECH = 'a speech model (a part of a text-to-speech pipeline), not a language model that writes text';
const DRAFT =
  'a draft model for speculative decoding: it only proposes tokens for the model it was made for, and cannot ' +
  'think alone';
const DIFFUSION =
  'a diffusion language model: llama.cpp runs it only with its diffusion tool, not one token after another';

const REFUSED: Record<string, string> = {
  clip: MMPROJ,
  bert: ENCODER,
  'modern-bert': ENCODER,
  'nomic-bert': ENCODER,
  'nomic-bert-moe': ENCODER,
  'neo-bert': ENCODER,
  'jina-bert-v2': ENCODER,
  'jina-bert-v3': ENCODER,
  eurobert: ENCODER,
  t5encoder: ENCODER,
  'gemma-embedding': ENCODER,
  'llama-embed': ENCODER,
  'wavtokenizer-dec': SPEECH,
  qwen3tts: SPEECH,
  pockettts: SPEECH,
  eagle3: DRAFT,
  dflash: DRAFT,
  'gemma4-assistant': DRAFT,
  dream: DIFFUSION,
  llada: DIFFUSION,
  'llada-moe': DIFFUSION,
  rnd1: DIFFUSION,
};

/** Every other architecture llama.cpp's loader knows: it loads them, these tests do not. */
const KNOWN = [
  'llama4',
  'deci',
  'falcon',
  'grok',
  'gpt2',
  'gptj',
  'gptneox',
  'mpt',
  'baichuan',
  'starcoder',
  'refact',
  'bloom',
  'stablelm',
  'qwen',
  'qwen2moe',
  'qwen2vl',
  'qwen3moe',
  'qwen3vl',
  'qwen3vlmoe',
  'qwen4exp',
  'phi2',
  'phimoe',
  'plamo',
  'plamo3',
  'codeshell',
  'orion',
  'internlm2',
  'minicpm',
  'minicpm3',
  'gemma',
  'gemma3n',
  'gemma4',
  'starcoder2',
  'xverse',
  'command-r',
  'cohere2',
  'cohere2moe',
  'dbrx',
  'olmo',
  'olmo2',
  'olmoe',
  'muse-glimmer',
  'openelm',
  'arctic',
  'deepseek',
  'deepseek2',
  'deepseek2-ocr',
  'deepseek32',
  'deepseek4',
  'chatglm',
  'glm4',
  'glm4moe',
  'glm-dsa',
  'bitnet',
  't5',
  'jais',
  'jais2',
  'nemotron',
  'exaone',
  'exaone4',
  'exaone-moe',
  'granite',
  'granitemoe',
  'graniteswitch',
  'granite_swa',
  'chameleon',
  'plm',
  'bailingmoe',
  'bailingmoe2',
  'bailingmoe3',
  'dots1',
  'dots3note',
  'arcee',
  'afmoe',
  'laguna',
  'ernie4_5',
  'ernie4_5-moe',
  'hunyuan-moe',
  'hunyuan-dense',
  'hunyuan_vl',
  'hy_v3',
  'smollm3',
  'gpt-oss',
  'smallthinker',
  'seed_oss',
  'grovemoe',
  'apertus',
  'minimax-01',
  'minimax-m2',
  'minimax-m3',
  'cogvlm',
  'pangu-embedded',
  'mistral3',
  'mistral4',
  'paddleocr',
  'mimo2',
  'step35',
  'maincoder',
  'kimi-k3',
  'talkie',
  'mellum',
  'nanbeige',
];

export const ARCHITECTURES: ReadonlyMap<string, ArchitectureSupport> = new Map<string, ArchitectureSupport>([
  ...TESTED.map((name) => [name, { status: 'tested' }] as const),
  ...KNOWN.map((name) => [name, { status: 'known' }] as const),
  ...ATTENTION_FREE.map((name) => [name, { status: 'recurrent', attentionFree: true }] as const),
  ...HYBRID.map((name) => [name, { status: 'recurrent' }] as const),
  ...Object.entries(REFUSED).map(([name, reason]) => [name, { status: 'refused', reason }] as const),
]);

/** The support of an architecture, or null for a name llama.cpp does not know. */
export function architectureSupport(name: string): ArchitectureSupport | null {
  return ARCHITECTURES.get(name) ?? null;
}

/** What the plan says of an architecture it can plan but has not seen load here; null for a tested one. */
export function architectureWarning(name: string): string | null {
  const support = architectureSupport(name);
  if (!support || support.status === 'tested' || support.status === 'refused') return null;
  if (support.status === 'recurrent') {
    return (
      `architecture ${name} keeps a recurrent state, which the estimate sizes like an attention cache: ` +
      'the RAM figures may be off'
    );
  }
  return `architecture ${name} is known to llama.cpp but not tested here: the estimate assumes a plain transformer`;
}
