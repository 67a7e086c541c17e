import path from 'node:path';

import { GgufValueType, metadataNumber, type GgufHeader } from './readGguf.js';
import { parseSplitName, splitPartPath, splitPartPaths } from './splitFiles.js';
import { tensorProblem, type Refusal } from './headerChecks.js';

/**
 * A split model checked as a set, the way llama.cpp's loader will read it: from the first part, which holds the
 * metadata, with every other part found beside it by name; each part says which it is (split.no, a u16: llama.cpp
 * asserts that type and aborts on another) and how many there are (split.count); together they hold
 * split.tensors.count tensors, none twice. A file that is not split is a set of one.
 */

export type SplitSet =
  | {
      ok: true;
      /** The first part's metadata, every part's tensors, and the parts' sizes added up: what the planner sizes. */
      header: GgufHeader;
      parts: string[];
    }
  | { ok: false; refusal: Refusal };

type HeaderRead = { ok: true; header: GgufHeader } | { ok: false; refusal: Refusal };

const refuse = (reason: string): SplitSet => ({ ok: false, refusal: { problem: 'split-set', reason } });

function isU16(header: GgufHeader, key: string): boolean {
  return header.metadataTypes.get(key) === GgufValueType.UINT16;
}

export function readSplitSet(file: string, first: GgufHeader, read: (file: string) => HeaderRead): SplitSet {
  const count = metadataNumber(first, 'split.count') ?? 1;
  if (count <= 1) return { ok: true, header: first, parts: [file] };
  const no = metadataNumber(first, 'split.no');
  if (!isU16(first, 'split.count') || no === undefined || !isU16(first, 'split.no')) {
    return refuse('has split.count but no split.no as a 16-bit number, as llama.cpp requires of a split model.');
  }
  const name = parseSplitName(file);
  if (no !== 0) {
    const firstPart = name ? path.basename(splitPartPath(name.prefix, 1, count)) : 'the part numbered 00001';
    return refuse(
      `is part ${no + 1} of ${count} of a split model; llama.cpp loads a split model from its first part: ` +
        `choose ${firstPart}.`,
    );
  }
  if (!name || name.part !== 1 || name.count !== count) {
    return refuse(
      `is the first of ${count} parts of a split model, but llama.cpp finds the other parts by name and this name ` +
        `does not end in -00001-of-${String(count).padStart(5, '0')}.gguf: give the parts their original names.`,
    );
  }

  const parts = splitPartPaths(name);
  const tensors = [...first.tensors];
  let fileSize = first.fileSize;
  for (const [index, part] of parts.entries()) {
    if (index === 0) continue;
    const label = `part ${index + 1} of ${count}, ${path.basename(part)},`;
    const header = read(part);
    if (!header.ok) {
      const missing = header.refusal.problem === 'missing' || /ENOENT/.test(header.refusal.reason);
      return refuse(
        missing
          ? `is a split model, and ${label} is missing: put every part in the same folder.`
          : `is a split model, and ${label} ${header.refusal.reason}`,
      );
    }
    const partNo = metadataNumber(header.header, 'split.no');
    const partCount = metadataNumber(header.header, 'split.count');
    if (partNo !== index || !isU16(header.header, 'split.no')) {
      return refuse(`is a split model, and ${label} says it is part ${partNo === undefined ? '?' : partNo + 1}.`);
    }
    if (partCount !== count) {
      return refuse(
        `is a split model of ${count} parts, and ${label} says there are ${partCount ?? 'no'} parts: the parts ` +
          'are from different downloads.',
      );
    }
    const partProblem = tensorProblem(header.header);
    if (partProblem) return inPart(partProblem, label);
    tensors.push(...header.header.tensors);
    fileSize += header.header.fileSize;
  }
  const firstProblem = tensorProblem(first);
  if (firstProblem) return inPart(firstProblem, 'its first part');

  const expected = metadataNumber(first, 'split.tensors.count');
  if (expected !== undefined && expected !== tensors.length) {
    return refuse(
      `is a split model whose parts hold ${tensors.length} tensors, but its first part says ${expected}: a part ` +
        'is from another download.',
    );
  }
  const names = new Set<string>();
  for (const tensor of tensors) {
    if (names.has(tensor.name)) return refuse(`is a split model in which tensor ${tensor.name} is in two parts.`);
    names.add(tensor.name);
  }
  return { ok: true, header: { ...first, tensors, fileSize }, parts };
}

/** A part's tensor problem, of its own kind (a truncated part is a truncated model), saying which part. */
function inPart(refusal: Refusal, label: string): SplitSet {
  return {
    ok: false,
    refusal: { problem: refusal.problem, reason: `is a split model, and in ${label} ${refusal.reason}` },
  };
}
