import { parseSplitName, splitPartPaths } from './splitFiles.js';
import { writeGguf, type MetadataValue, type TensorSpec } from './writeGguf.js';

/**
 * Writes a model as a split set, as llama.cpp's gguf-split does: the first part carries all the metadata, every part
 * carries split.no (u16, from 0), split.count (u16) and split.tensors.count (i32, the first part only needs it), and
 * the tensors are shared out in order. `firstPart` names the set: <prefix>-00001-of-<count>.gguf. Returns the sizes.
 */
export function writeSplitGguf(
  firstPart: string,
  metadata: ReadonlyArray<readonly [string, MetadataValue]>,
  tensors: readonly TensorSpec[],
  options: { sparse?: boolean; version?: 2 | 3 } = {},
): number[] {
  const name = parseSplitName(firstPart);
  if (!name || name.part !== 1) throw new Error(`${firstPart}: the first part's name ends in -00001-of-NNNNN.gguf`);
  const perPart = Math.ceil(tensors.length / name.count);
  return splitPartPaths(name).map((file, index) => {
    const split: Array<readonly [string, MetadataValue]> = [
      ['split.no', { type: 'u16', value: index }],
      ['split.count', { type: 'u16', value: name.count }],
      ['split.tensors.count', { type: 'i32', value: tensors.length }],
    ];
    const own = tensors.slice(index * perPart, (index + 1) * perPart);
    return writeGguf(file, index === 0 ? [...metadata, ...split] : split, own, options);
  });
}
