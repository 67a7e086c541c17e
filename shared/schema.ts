/**
 * A small runtime schema library for the api contract.
 *
 * Every payload that crosses a process or network boundary is checked against one of these in the main process.
 * A failed check names the field and says what was expected, so the renderer can show the message next to the
 * control that produced it.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

export interface Schema<T> {
  /** Checks `value`; `field` is the dotted path used in error messages ("" at the top level). */
  parse(value: unknown, field: string): Parsed<T>;
  /** Human description of what the schema accepts, used in error messages. */
  readonly describe: string;
  /** What it accepts, as data: the fuzz test generates its cases from this. Every builder here sets it. */
  readonly spec?: SchemaSpec;
}

export type SchemaSpec =
  | { kind: 'number'; min: number | undefined; max: number | undefined; integer: boolean }
  | { kind: 'string'; minLength: number; maxLength: number }
  | { kind: 'boolean' }
  | { kind: 'choice'; values: readonly string[] }
  | { kind: 'optional' | 'nullable'; inner: Schema<unknown> }
  | { kind: 'object'; shape: Readonly<Record<string, Schema<unknown>>> }
  | { kind: 'record'; keys: readonly string[]; inner: Schema<unknown> };

export type Infer<S> = S extends Schema<infer T> ? T : never;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (field: string, message: string): Parsed<never> => ({ ok: false, field, message });

function label(field: string): string {
  return field === '' ? 'value' : field;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'a list' : 'an object';
}

export interface NumberOptions {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Unit shown in messages, e.g. "%" or " GB". */
  unit?: string;
}

/** A number's schema keeps its unit, for the panel to show next to the field. */
export type NumberSchema = Schema<number> & { readonly unit: string };

/** True for a schema `number` made: the command line reads its text as a number. */
export function isNumberSchema(schema: Schema<unknown>): schema is NumberSchema {
  return 'unit' in schema;
}

export function number(options: NumberOptions = {}): NumberSchema {
  const { min, max, integer = false, unit = '' } = options;
  const range =
    min !== undefined && max !== undefined
      ? ` between ${min}${unit} and ${max}${unit}`
      : min !== undefined
        ? ` of at least ${min}${unit}`
        : max !== undefined
          ? ` of at most ${max}${unit}`
          : '';
  const describe = `${integer ? 'a whole number' : 'a number'}${range}`;
  return {
    describe,
    unit,
    spec: { kind: 'number', min, max, integer },
    parse(value, field) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return fail(field, `${label(field)} must be ${describe} (got ${show(value)})`);
      }
      if (integer && !Number.isInteger(value)) {
        return fail(field, `${label(field)} must be ${describe} (got ${value})`);
      }
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        return fail(field, `${label(field)} must be ${describe} (got ${value}${unit})`);
      }
      return ok(value);
    },
  };
}

export function string(options: { minLength?: number; maxLength?: number } = {}): Schema<string> {
  const { minLength = 0, maxLength = 4096 } = options;
  const describe = minLength > 0 ? 'a non-empty text' : 'a text';
  return {
    describe,
    spec: { kind: 'string', minLength, maxLength },
    parse(value, field) {
      if (typeof value !== 'string') return fail(field, `${label(field)} must be ${describe} (got ${show(value)})`);
      if (value.length < minLength) return fail(field, `${label(field)} must not be empty`);
      if (value.length > maxLength) return fail(field, `${label(field)} must be at most ${maxLength} characters`);
      return ok(value);
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    describe: 'true or false',
    spec: { kind: 'boolean' },
    parse(value, field) {
      return typeof value === 'boolean'
        ? ok(value)
        : fail(field, `${label(field)} must be true or false (got ${show(value)})`);
    },
  };
}

/** A choice keeps its values, for --help to list them. */
export type ChoiceSchema<T extends readonly string[]> = Schema<T[number]> & { readonly values: T };

export function isChoiceSchema(schema: Schema<unknown>): schema is ChoiceSchema<readonly string[]> {
  return 'values' in schema;
}

export function literalUnion<const T extends readonly string[]>(values: T): ChoiceSchema<T> {
  const describe = `one of ${values.join(', ')}`;
  return {
    describe,
    values,
    spec: { kind: 'choice', values },
    parse(value, field) {
      return typeof value === 'string' && (values as readonly string[]).includes(value)
        ? ok(value as T[number])
        : fail(field, `${label(field)} must be ${describe} (got ${show(value)})`);
    },
  };
}

export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return orNone(inner, undefined, 'optional', 'nothing');
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return orNone(inner, null, 'nullable', 'null');
}

/** `inner`, or the one value that stands for none of it. */
function orNone<T, N extends undefined | null>(
  inner: Schema<T>,
  none: N,
  kind: 'optional' | 'nullable',
  noneInWords: string,
): Schema<T | N> {
  return {
    describe: `${inner.describe}, or ${noneInWords}`,
    spec: { kind, inner },
    parse(value, field) {
      return value === none ? ok(none) : inner.parse(value, field);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type ObjectOf<S extends Shape> = {
  [K in keyof S as undefined extends Infer<S[K]> ? never : K]: Infer<S[K]>;
} & {
  [K in keyof S as undefined extends Infer<S[K]> ? K : never]?: Infer<S[K]>;
};

/** A plain object with exactly these keys: unknown keys are refused, so a typo never passes silently. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return {
    describe: 'an object',
    spec: { kind: 'object', shape },
    parse(value, field) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return fail(field, `${label(field)} must be an object (got ${show(value)})`);
      }
      const input = value as Record<string, unknown>;
      for (const key of Object.keys(input)) {
        if (!keys.includes(key)) return fail(join(field, key), `${join(field, key)} is not a known field`);
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const result = shape[key]!.parse(input[key], join(field, key));
        if (!result.ok) return result;
        if (result.value !== undefined) out[key] = result.value;
      }
      return ok(out as ObjectOf<S>);
    },
  };
}

/** An object whose keys are all from `keys` (any subset), each value checked by `inner`. */
export function partialRecord<const K extends readonly string[], T>(
  keys: K,
  inner: Schema<T>,
): Schema<Partial<Record<K[number], T>>> {
  return {
    describe: `an object with some of ${keys.join(', ')}`,
    spec: { kind: 'record', keys, inner },
    parse(value, field) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return fail(field, `${label(field)} must be an object (got ${show(value)})`);
      }
      const out: Partial<Record<K[number], T>> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (!(keys as readonly string[]).includes(key)) {
          return fail(join(field, key), `${join(field, key)} is not one of ${keys.join(', ')}`);
        }
        const result = inner.parse(item, join(field, key));
        if (!result.ok) return result;
        out[key as K[number]] = result.value;
      }
      return ok(out);
    },
  };
}

function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * The same schema, with its refusals worded by `reword` (field, message): a contract whose fields have names of
 * their own for the operator ("SUBJECT's RAM limit", not "ramLimitsGb.SUBJECT") says them in its messages. The
 * field path itself is kept, for a client to place the message beside the right control.
 */
export function reworded<T>(inner: Schema<T>, reword: (field: string, message: string) => string): Schema<T> {
  return {
    describe: inner.describe,
    ...(inner.spec ? { spec: inner.spec } : {}),
    parse(value, field) {
      const parsed = inner.parse(value, field);
      return parsed.ok ? parsed : { ...parsed, message: reword(parsed.field, parsed.message) };
    },
  };
}
