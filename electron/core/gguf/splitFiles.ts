/**
 * The names of a split model's parts, as llama.cpp's gguf-split writes them and its loader finds them
 * (llama_split_path: "<prefix>-%05d-of-%05d.gguf", numbered from 1). llama.cpp loads a split model from its first
 * part and finds the others beside it by name.
 */

const SPLIT_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

export interface SplitName {
  prefix: string;
  /** 1-based, as in the name. */
  part: number;
  count: number;
}

export function parseSplitName(file: string): SplitName | null {
  const match = SPLIT_NAME.exec(file);
  if (!match) return null;
  return { prefix: match[1]!, part: Number(match[2]), count: Number(match[3]) };
}

/** The path of part `part` (1-based) of `count`. */
export function splitPartPath(prefix: string, part: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `${prefix}-${pad(part)}-of-${pad(count)}.gguf`;
}

/** Every part's path, from any one part's. */
export function splitPartPaths(name: SplitName): string[] {
  return Array.from({ length: name.count }, (_, index) => splitPartPath(name.prefix, index + 1, name.count));
}
