import type { Schema, SchemaSpec } from '../../shared/schema.js';

/**
 * Fuzz cases generated from a schema (shared/schema.ts): a valid value, and that value with one thing changed at one
 * place: another type, a number out of bounds, a text too long or with NUL or overlong-UTF-8 code points, a field
 * missing or extra, a deep or huge value. Every random choice comes from a seeded generator, so a seed replays a run.
 */

/** A seeded generator of numbers in [0, 1). */
export type Rng = () => number;

export { seededRandom } from '../../electron/core/gguf/generateModel.js';

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

export function integer(rng: Rng, low: number, high: number): number {
  return low + Math.floor(rng() * (high - low + 1));
}

export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export interface Variant {
  /** Where and what was changed, for a failure message: "patch.ramLimitsGb.GOD: above the maximum". */
  what: string;
  value: unknown;
}

function specOf(schema: Schema<unknown>): SchemaSpec {
  if (!schema.spec) throw new Error(`a schema without a spec (${schema.describe}): its builder must set one`);
  return schema.spec;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function word(rng: Rng, length: number): string {
  return Array.from({ length }, () => pick(rng, [...LETTERS])).join('');
}

/** A value the schema accepts. */
export function validValue(schema: Schema<unknown>, rng: Rng): unknown {
  const spec = specOf(schema);
  switch (spec.kind) {
    case 'number': {
      const low = spec.min ?? -1000;
      const high = spec.max ?? 1000;
      if (spec.integer) return integer(rng, Math.ceil(low), Math.floor(high));
      return low + rng() * (high - low);
    }
    case 'string':
      return word(rng, integer(rng, spec.minLength, Math.min(spec.maxLength, spec.minLength + 12)));
    case 'boolean':
      return rng() < 0.5;
    case 'choice':
      return pick(rng, spec.values);
    case 'optional':
      return rng() < 0.4 ? undefined : validValue(spec.inner, rng);
    case 'nullable':
      return rng() < 0.3 ? null : validValue(spec.inner, rng);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(spec.shape)) {
        const value = validValue(field, rng);
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const key of spec.keys) if (rng() < 0.5) out[key] = validValue(spec.inner, rng);
      return out;
    }
  }
}

/** {"a": {"a": ...}} this deep. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** An object whose own key is "__proto__" (as JSON.parse makes one), not one whose prototype was set. */
function withOwnKey(object: object, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object };
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

/** Values of every other kind, and of odd sizes: what any position gets. */
function otherKinds(rng: Rng): Variant[] {
  return [
    { what: 'null', value: null },
    { what: 'true', value: true },
    { what: '0', value: 0 },
    { what: '-1', value: -1 },
    { what: '1e308', value: 1e308 },
    { what: 'a text', value: word(rng, 5) },
    { what: 'an empty text', value: '' },
    { what: 'NUL', value: '\u0000' },
    { what: 'an empty list', value: [] },
    { what: 'a list', value: [1, 'x', null] },
    { what: 'an object', value: { [word(rng, 4)]: 1 } },
    { what: 'a deep value', value: nested(integer(rng, 100, 2000)) },
    { what: 'a huge list', value: Array.from({ length: integer(rng, 1000, 5000) }, (_, i) => i) },
  ];
}

/** Values wrong (or at the edge) for this kind of schema in particular. */
function edgesOf(spec: SchemaSpec, valid: unknown, rng: Rng): Variant[] {
  switch (spec.kind) {
    case 'number': {
      const out: Variant[] = [
        { what: 'a numeric text', value: String(valid) },
        { what: '-0', value: -0 },
        { what: 'a huge integer', value: Number.MAX_SAFE_INTEGER * 4 },
        { what: '-1e308', value: -1e308 },
      ];
      if (spec.min !== undefined) {
        out.push({ what: 'below the minimum', value: spec.min - 1 }, { what: 'just below', value: spec.min - 1e-9 });
        out.push({ what: 'the minimum', value: spec.min });
      }
      if (spec.max !== undefined) {
        out.push({ what: 'above the maximum', value: spec.max + 1 }, { what: 'just above', value: spec.max + 1e-6 });
        out.push({ what: 'the maximum', value: spec.max });
      }
      if (spec.integer) out.push({ what: 'a fraction', value: Math.floor(Number(valid)) + 0.5 });
      return out;
    }
    case 'string': {
      const text = String(valid);
      return [
        { what: 'too long', value: 'x'.repeat(spec.maxLength + 1) },
        { what: 'huge', value: 'y'.repeat(integer(rng, 20_000, 50_000)) },
        { what: 'with NUL', value: `${text}\u0000` },
        { what: 'overlong-UTF-8 code points', value: `\u00c0\u00ae\u00c0\u00ae/${text}` },
        { what: 'a lone surrogate', value: `${text}\ud800` },
        { what: 'a climbing path', value: `${'../'.repeat(integer(rng, 3, 30))}etc/passwd` },
        { what: 'percent-encoded NUL', value: `${text}%00` },
        { what: 'a special file', value: pick(rng, ['/dev/zero', '/dev/null', '/proc/self/status', '/', '.']) },
        { what: 'control characters', value: `\r\n\t\u001b[2J${text}` },
        ...(spec.minLength > 0 ? [{ what: 'empty', value: '' }] : []),
      ];
    }
    case 'boolean':
      return [
        { what: '"true"', value: 'true' },
        { what: '1', value: 1 },
      ];
    case 'choice': {
      const value = String(valid);
      return [
        { what: 'upper case', value: value.toUpperCase() },
        { what: 'lower case', value: value.toLowerCase() },
        { what: 'with a space', value: `${value} ` },
        { what: 'with NUL', value: `${value}\u0000` },
        { what: '__proto__', value: '__proto__' },
        { what: 'constructor', value: 'constructor' },
      ];
    }
    default:
      return [];
  }
}

/**
 * The variants of one value of a schema: at this place (every other kind, the edges of this kind) and, inside
 * objects and records, at each field (changed, missing) and beside them (an extra field, an own "__proto__").
 */
export function variantsOf(schema: Schema<unknown>, value: unknown, rng: Rng, where = 'params'): Variant[] {
  const spec = specOf(schema);
  const here = (list: Variant[]) =>
    list.map((variant) => ({ what: `${where}: ${variant.what}`, value: variant.value }));
  switch (spec.kind) {
    case 'optional':
    case 'nullable': {
      const present = value === undefined || value === null ? validPresent(spec.inner, rng) : value;
      return variantsOf(spec.inner, present, rng, where);
    }
    case 'object':
    case 'record': {
      const object = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
      const out = here(otherKinds(rng));
      const fields =
        spec.kind === 'object'
          ? Object.entries(spec.shape)
          : spec.keys.map((key) => [key, spec.inner] as [string, Schema<unknown>]);
      for (const [key, field] of fields) {
        for (const variant of variantsOf(field, object[key], rng, `${where}.${key}`)) {
          out.push({ what: variant.what, value: { ...object, [key]: variant.value } });
        }
        if (key in object) {
          const rest = { ...object };
          delete rest[key];
          out.push({ what: `${where}.${key}: missing`, value: rest });
        }
      }
      out.push({ what: `${where}: an extra field`, value: { ...object, [`x${word(rng, 6)}`]: 1 } });
      out.push({ what: `${where}: an own __proto__`, value: withOwnKey(object, '__proto__', { polluted: true }) });
      out.push({ what: `${where}: an own constructor`, value: withOwnKey(object, 'constructor', 'x') });
      return out;
    }
    default:
      return here([...otherKinds(rng), ...edgesOf(spec, value ?? validValue(schema, rng), rng)]);
  }
}

/** A valid value that is there (not undefined, not null), to change one thing in. */
function validPresent(schema: Schema<unknown>, rng: Rng): unknown {
  for (let i = 0; i < 20; i++) {
    const value = validValue(schema, rng);
    if (value !== undefined && value !== null) return value;
  }
  throw new Error(`no present value for ${schema.describe}`);
}
