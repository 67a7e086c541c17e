import type { CpuFeatures } from '../../../shared/board.js';

/**
 * Which weights llama.cpp's CPU backend copies out of the mapped file into anonymous "CPU_REPACK" buffers, in an
 * interleaved layout its matrix kernels read faster. The copy is the tensor's own size, and the file pages it was read
 * from stay mapped (they lie between weights that are used from the mapping), so a repacked weight counts twice in the
 * worker's RssAnon + RssFile.
 *
 * The rules are those of the llama.cpp that node-llama-cpp 3.21.1 bundles (its llama/gitRelease.bundle):
 * - which CPU build loads: node-llama-cpp ships every ggml CPU variant (ggml/src/CMakeLists.txt, GGML_CPU_ALL_VARIANTS)
 *   and ggml loads the one with the highest score whose features the CPU has (ggml-cpu/arch/x86/cpu-feats.cpp and
 *   ggml-cpu/arch/arm/cpu-feats.cpp: the kernel's flags, cpuid or HWCAP);
 * - what a build repacks: ggml-cpu/repack.cpp, ggml_repack_get_optimal_repack_type, where each test is compile-time
 *   (__AVX2__, __ARM_FEATURE_DOTPROD, __ARM_FEATURE_MATMUL_INT8...), hence the variant above decides;
 * - which weights are offered: only those a matrix multiplication reads (llama-model-loader.cpp's select_weight_buft
 *   asks each buffer type whether it supports the op the weight is used in; the token embedding is read by get_rows).
 */

export type BuildFeature = 'avx2' | 'avx512' | 'amx' | 'neon' | 'dotprod' | 'i8mm' | 'sve';

export interface CpuBuild {
  /** ggml's name for the CPU build that loads: "haswell", "zen4", "armv8.2_2"...; "unknown" without the features. */
  variant: string;
  features: ReadonlySet<BuildFeature>;
  /** False when the CPU's features are not known: every rule of every build then applies (an upper bound). */
  known: boolean;
  /** On an Intel CPU with AMX, llama.cpp also has an AMX weight buffer, which this model does not cover. */
  amx: boolean;
}

interface Variant {
  name: string;
  /** ggml's feature names, each with the kernel flags it needs and its weight in the score. */
  needs: readonly string[];
}

const X86_FEATURES: Readonly<Record<string, { flags: readonly string[]; score: number }>> = {
  FMA: { flags: ['fma'], score: 1 },
  F16C: { flags: ['f16c'], score: 2 },
  SSE42: { flags: ['sse4_2'], score: 4 },
  BMI2: { flags: ['bmi2'], score: 8 },
  AVX: { flags: ['avx'], score: 16 },
  AVX2: { flags: ['avx2'], score: 32 },
  AVX_VNNI: { flags: ['avx_vnni'], score: 64 },
  AVX512: { flags: ['avx512f', 'avx512cd', 'avx512vl', 'avx512dq', 'avx512bw'], score: 128 },
  AVX512_VBMI: { flags: ['avx512vbmi'], score: 256 },
  AVX512_BF16: { flags: ['avx512_bf16'], score: 512 },
  AVX512_VNNI: { flags: ['avx512_vnni'], score: 1024 },
  AMX_INT8: { flags: ['amx_int8'], score: 2048 },
};

const HASWELL = ['SSE42', 'AVX', 'F16C', 'FMA', 'AVX2', 'BMI2'];
const SKYLAKEX = [...HASWELL, 'AVX512'];
const ZEN4 = [...SKYLAKEX, 'AVX512_VBMI', 'AVX512_VNNI', 'AVX512_BF16'];
const X86_VARIANTS: readonly Variant[] = [
  { name: 'x64', needs: [] },
  { name: 'sse42', needs: ['SSE42'] },
  { name: 'sandybridge', needs: ['SSE42', 'AVX'] },
  { name: 'ivybridge', needs: ['SSE42', 'AVX', 'F16C'] },
  { name: 'piledriver', needs: ['SSE42', 'AVX', 'F16C', 'FMA'] },
  { name: 'haswell', needs: HASWELL },
  { name: 'skylakex', needs: SKYLAKEX },
  { name: 'cannonlake', needs: [...SKYLAKEX, 'AVX512_VBMI'] },
  { name: 'cascadelake', needs: [...SKYLAKEX, 'AVX512_VNNI'] },
  { name: 'icelake', needs: [...SKYLAKEX, 'AVX512_VBMI', 'AVX512_VNNI'] },
  { name: 'cooperlake', needs: [...SKYLAKEX, 'AVX512_VNNI', 'AVX512_BF16'] },
  { name: 'zen4', needs: ZEN4 },
  { name: 'alderlake', needs: [...HASWELL, 'AVX_VNNI'] },
  { name: 'sapphirerapids', needs: [...ZEN4, 'AMX_INT8'] },
];

const ARM_FEATURES: Readonly<Record<string, { flags: readonly string[]; score: number }>> = {
  DOTPROD: { flags: ['asimddp'], score: 2 },
  FP16_VECTOR_ARITHMETIC: { flags: ['fphp', 'asimdhp'], score: 4 },
  SVE: { flags: ['sve'], score: 8 },
  MATMUL_INT8: { flags: ['i8mm'], score: 16 },
  SVE2: { flags: ['sve2'], score: 32 },
  SME: { flags: ['sme'], score: 64 },
};

const ARMV82 = ['DOTPROD', 'FP16_VECTOR_ARITHMETIC'];
const ARM_VARIANTS: readonly Variant[] = [
  { name: 'armv8.0_1', needs: [] },
  { name: 'armv8.2_1', needs: ['DOTPROD'] },
  { name: 'armv8.2_2', needs: ARMV82 },
  { name: 'armv8.2_3', needs: [...ARMV82, 'SVE'] },
  { name: 'armv8.6_1', needs: [...ARMV82, 'SVE', 'MATMUL_INT8'] },
  { name: 'armv8.6_2', needs: [...ARMV82, 'SVE', 'MATMUL_INT8', 'SVE2'] },
  { name: 'armv9.2_1', needs: [...ARMV82, 'SVE', 'MATMUL_INT8', 'SME'] },
  { name: 'armv9.2_2', needs: [...ARMV82, 'SVE', 'MATMUL_INT8', 'SVE2', 'SME'] },
];

/** The variant ggml loads: the highest-scoring one whose every feature the CPU has. */
function bestVariant(
  variants: readonly Variant[],
  features: Readonly<Record<string, { flags: readonly string[]; score: number }>>,
  flags: ReadonlySet<string>,
): Variant {
  let best = variants[0]!;
  let bestScore = 0;
  for (const variant of variants) {
    if (!variant.needs.every((need) => features[need]!.flags.every((flag) => flags.has(flag)))) continue;
    const score = 1 + variant.needs.reduce((sum, need) => sum + features[need]!.score, 0);
    if (score > bestScore) {
      best = variant;
      bestScore = score;
    }
  }
  return best;
}

const EVERY_FEATURE: ReadonlySet<BuildFeature> = new Set(['avx2', 'avx512', 'neon', 'dotprod', 'i8mm', 'sve']);

/** The llama.cpp CPU build node-llama-cpp's prebuilt binaries load on this CPU, and what it was compiled with. */
export function cpuBuildFor(cpu: CpuFeatures | null | undefined): CpuBuild {
  if (!cpu || cpu.arch === 'unknown') return { variant: 'unknown', features: EVERY_FEATURE, known: false, amx: false };
  const flags = new Set(cpu.flags);
  if (cpu.arch === 'x86_64') {
    const variant = bestVariant(X86_VARIANTS, X86_FEATURES, flags);
    const features = new Set<BuildFeature>();
    if (variant.needs.includes('AVX2')) features.add('avx2');
    if (variant.needs.includes('AVX512')) features.add('avx512');
    if (variant.needs.includes('AMX_INT8')) features.add('amx');
    return { variant: variant.name, features, known: true, amx: features.has('amx') };
  }
  const variant = bestVariant(ARM_VARIANTS, ARM_FEATURES, flags);
  const features = new Set<BuildFeature>(['neon']);
  if (variant.needs.includes('DOTPROD')) features.add('dotprod');
  if (variant.needs.includes('MATMUL_INT8')) features.add('i8mm');
  if (variant.needs.includes('SVE')) features.add('sve');
  return { variant: variant.name, features, known: true, amx: false };
}

const Q4_0 = 2;
const Q8_0 = 8;
const Q2_K = 10;
const Q4_K = 12;
const Q5_K = 13;
const Q6_K = 14;
const IQ4_NL = 20;
const MXFP4 = 39;

/** One test of ggml_repack_get_optimal_repack_type: the build features, the row-count multiple, the layout. */
interface Rule {
  needs: readonly BuildFeature[];
  rows: number;
  layout: string;
}

const RULES: ReadonlyMap<number, readonly Rule[]> = new Map<number, readonly Rule[]>([
  [
    Q4_0,
    [
      // (The 8x8 layout is also chosen on SVE + i8mm with 256-bit vectors; 4x8 then takes what it leaves, so whether
      // a weight repacks does not depend on the vector length, which the kernel's flags do not say.)
      { needs: ['avx2'], rows: 8, layout: 'q4_0_8x8' },
      { needs: ['neon', 'i8mm'], rows: 4, layout: 'q4_0_4x8' },
      { needs: ['neon', 'dotprod'], rows: 4, layout: 'q4_0_4x4' },
    ],
  ],
  [
    Q4_K,
    [
      { needs: ['avx2'], rows: 8, layout: 'q4_K_8x8' },
      { needs: ['neon', 'i8mm'], rows: 8, layout: 'q4_K_8x8' },
      { needs: ['neon', 'dotprod'], rows: 8, layout: 'q4_K_8x4' },
    ],
  ],
  [Q2_K, [{ needs: ['avx512'], rows: 8, layout: 'q2_K_8x8' }]],
  [
    Q5_K,
    [
      { needs: ['neon', 'i8mm'], rows: 8, layout: 'q5_K_8x8' },
      { needs: ['neon', 'dotprod'], rows: 8, layout: 'q5_K_8x4' },
    ],
  ],
  [
    Q6_K,
    [
      { needs: ['neon', 'i8mm'], rows: 8, layout: 'q6_K_8x8' },
      { needs: ['neon', 'dotprod'], rows: 8, layout: 'q6_K_8x4' },
    ],
  ],
  [
    IQ4_NL,
    [
      { needs: ['avx2'], rows: 8, layout: 'iq4_nl_8x8' },
      { needs: ['neon', 'dotprod'], rows: 4, layout: 'iq4_nl_4x4' },
    ],
  ],
  [
    MXFP4,
    [
      { needs: ['avx2'], rows: 8, layout: 'mxfp4_8x8' },
      { needs: ['neon', 'dotprod'], rows: 4, layout: 'mxfp4_4x4' },
    ],
  ],
  [
    Q8_0,
    [
      { needs: ['neon', 'i8mm'], rows: 4, layout: 'q8_0_4x8' },
      { needs: ['neon', 'dotprod'], rows: 4, layout: 'q8_0_4x4' },
    ],
  ],
]);

/** What a weight is to the repacking: its type, its shape, and the operation llama.cpp reads it with. */
export interface RepackCandidate {
  type: number;
  /** ggml order: dims[0] is the row length, dims[1] the number of rows. */
  dims: readonly number[];
  op: 'mul_mat' | 'mul_mat_id' | 'other';
}

/**
 * The interleaved layout llama.cpp repacks this weight into on this build, or null when it stays in the mapped file.
 * Only 2-D matrix-multiplication weights (3-D for the experts' mul_mat_id) are offered to the repack buffer.
 */
export function repackLayout(build: CpuBuild, weight: RepackCandidate): string | null {
  const dimensions = weight.dims.length;
  if (weight.op === 'other') return null;
  if (weight.op === 'mul_mat' && dimensions !== 2) return null;
  if (weight.op === 'mul_mat_id' && dimensions !== 3) return null;
  const rows = weight.dims[1] ?? 1;
  for (const rule of RULES.get(weight.type) ?? []) {
    if (!rule.needs.every((feature) => build.features.has(feature))) continue;
    if (rows % rule.rows === 0) return rule.layout;
  }
  return null;
}
