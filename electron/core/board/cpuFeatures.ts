import type { CpuFeatures } from '../../../shared/board.js';

/**
 * The CPU's features from the text of /proc/cpuinfo (one "flags" line per x86 processor, one "Features" line per ARM
 * one) or of lscpu's output (one "Flags" line). ggml reads the same facts from cpuid or the kernel's HWCAP bits, which
 * the kernel prints here under these names.
 */
export function parseCpuFeatures(text: string, source: string): CpuFeatures | null {
  const lists = [...text.matchAll(/^\s*(?:flags|features)\s*:\s*(.*)$/gim)].map((match) =>
    match[1]!.trim().toLowerCase().split(/\s+/).filter(Boolean),
  );
  if (lists.length === 0) return null;
  // Cores that differ (big.LITTLE) share only some features; llama.cpp may run on any of them.
  const flags = lists.reduce((common, list) => common.filter((flag) => list.includes(flag)));
  const arm = flags.includes('asimd') || /^\s*(?:architecture\s*:\s*aarch64|cpu architecture\s*:\s*8)/im.test(text);
  const x86 = flags.includes('sse2') || /^\s*(?:architecture\s*:\s*x86_64|vendor_id\s*:)/im.test(text);
  return { arch: arm ? 'aarch64' : x86 ? 'x86_64' : 'unknown', flags, source };
}
