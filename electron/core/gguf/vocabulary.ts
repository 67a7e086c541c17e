import type { PromptCounting } from '../../../shared/plan.js';
import type { GgufHeader } from './readGguf.js';

/**
 * Counts a text's tokens with a model's own vocabulary, read from its GGUF header (tokenizer.ggml.*), so the planner
 * can size a context before anything loads:
 * - SentencePiece vocabularies (tokenizer.ggml.model "llama": llama 2, mistral, gemma, phi3, the generated models):
 *   exact, by llama.cpp's own algorithm (llama-vocab.cpp, llm_tokenizer_spm): a space prefix, spaces as U+2581,
 *   then the adjacent pair whose joined text is a token with the highest score is merged first, the leftmost on a
 *   tie, until none is; a character left without a token costs one byte token per UTF-8 byte;
 * - other vocabularies (GPT-2 style BPE and the rest): an estimate, the greedy longest match over the vocabulary
 *   (BPE with its merges and pre-tokenizer rarely does better), characters without a piece counted as bytes;
 * - no vocabulary to read: the text's UTF-8 bytes, an upper bound for every byte-level tokenizer.
 */

export interface TokenCounter {
  counting: PromptCounting;
  /** Tokens of `text` alone, as llama.cpp tokenizes plain text (no BOS, no special tokens). */
  count(text: string): number;
}

const SPACE = '\u2581';
/** Longest piece the greedy match tries, in characters: real vocabularies' longest useful pieces are shorter. */
const MAX_PIECE = 24;

function stringArray(header: GgufHeader, key: string): string[] | null {
  const value = header.metadata.get(key);
  if (typeof value !== 'object' || !value.values) return null;
  return value.values.every((item) => typeof item === 'string') ? (value.values as string[]) : null;
}

function numberArray(header: GgufHeader, key: string): number[] | null {
  const value = header.metadata.get(key);
  if (typeof value !== 'object' || !value.values) return null;
  return value.values.every((item) => typeof item === 'number') ? (value.values as number[]) : null;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

export function tokenCounter(header: GgufHeader): TokenCounter {
  const tokens = stringArray(header, 'tokenizer.ggml.tokens');
  if (!tokens) return { counting: 'bytes', count: bytes };
  const model = header.metadata.get('tokenizer.ggml.model');
  const scores = numberArray(header, 'tokenizer.ggml.scores');
  if (model === 'llama' && scores && scores.length === tokens.length) {
    const addSpacePrefix = header.metadata.get('tokenizer.ggml.add_space_prefix') !== false;
    return { counting: 'exact', count: spmCounter(tokens, scores, addSpacePrefix) };
  }
  return { counting: 'estimate', count: greedyCounter(tokens, model === 'gpt2') };
}

/** A max-heap of candidate merges: the highest score first, the leftmost on a tie (llama.cpp's comparator). */
class MergeQueue {
  private readonly items: Array<{ left: number; right: number; score: number; size: number }> = [];

  private before(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.score > y.score || (x.score === y.score && x.left < y.left);
  }

  private swap(a: number, b: number): void {
    [this.items[a], this.items[b]] = [this.items[b]!, this.items[a]!];
  }

  push(item: { left: number; right: number; score: number; size: number }): void {
    this.items.push(item);
    for (let i = this.items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { left: number; right: number; score: number; size: number } | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last) {
      this.items[0] = last;
      for (let i = 0; ;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let best = i;
        if (l < this.items.length && this.before(l, best)) best = l;
        if (r < this.items.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

function spmCounter(tokens: readonly string[], scores: readonly number[], addSpacePrefix: boolean) {
  // As llama.cpp's token_to_id: a text that appears twice is the later token.
  const ids = new Map<string, number>();
  tokens.forEach((token, id) => ids.set(token, id));
  return (text: string): number => {
    const escaped = `${addSpacePrefix ? ' ' : ''}${text}`.replaceAll(' ', SPACE);
    // One symbol per character (code point), linked both ways; a merged symbol keeps the text of both.
    const symbols = Array.from(escaped, (char) => ({ text: char, alive: true }));
    const prev = symbols.map((_, i) => i - 1);
    const next = symbols.map((_, i) => (i + 1 < symbols.length ? i + 1 : -1));
    const queue = new MergeQueue();
    const tryPair = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const joined = symbols[left]!.text + symbols[right]!.text;
      const id = ids.get(joined);
      if (id !== undefined) queue.push({ left, right, score: scores[id]!, size: joined.length });
    };
    for (let i = 1; i < symbols.length; i++) tryPair(i - 1, i);
    for (let merge = queue.pop(); merge; merge = queue.pop()) {
      const left = symbols[merge.left]!;
      const right = symbols[merge.right]!;
      // A pair whose symbols have changed since it was queued is stale.
      if (!left.alive || !right.alive || left.text.length + right.text.length !== merge.size) continue;
      left.text += right.text;
      right.alive = false;
      next[merge.left] = next[merge.right]!;
      if (next[merge.right]! >= 0) prev[next[merge.right]!] = merge.left;
      tryPair(prev[merge.left]!, merge.left);
      tryPair(merge.left, next[merge.left]!);
    }
    let count = 0;
    for (const symbol of symbols) {
      if (symbol.alive) count += ids.has(symbol.text) ? 1 : bytes(symbol.text);
    }
    return count;
  };
}

/** GPT-2's byte-level alphabet: every byte as a printable character (its bytes_to_unicode). */
function byteAlphabet(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : 256 + shifted++));
}

function greedyCounter(tokens: readonly string[], byteLevel: boolean) {
  const pieces = new Set(tokens);
  const alphabet = byteLevel ? byteAlphabet() : [];
  return (text: string): number => {
    const chars = byteLevel
      ? Array.from(Buffer.from(text, 'utf8'), (byte) => alphabet[byte]!)
      : Array.from(` ${text}`.replaceAll(' ', SPACE));
    let count = 0;
    for (let start = 0; start < chars.length;) {
      let length = Math.min(MAX_PIECE, chars.length - start);
      while (length > 1 && !pieces.has(chars.slice(start, start + length).join(''))) length--;
      const piece = chars[start]!;
      // An unknown character falls back to its bytes; in a byte-level alphabet a character is one byte already.
      count += length > 1 || byteLevel || pieces.has(piece) ? 1 : bytes(piece);
      start += length;
    }
    return count;
  };
}
