import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { METHODS } from '../../shared/api.js';
import * as s from '../../shared/schema.js';

describe('shared schema', () => {
  const threshold = s.object({ ramThreshold: s.number({ min: 1, max: 100, unit: '%' }), note: s.optional(s.string()) });

  it('accepts a valid payload and drops absent optional fields', () => {
    assert.deepEqual(threshold.parse({ ramThreshold: 90 }, ''), { ok: true, value: { ramThreshold: 90 } });
  });

  it('names the field and the range when a number is out of range', () => {
    const result = threshold.parse({ ramThreshold: 150 }, '');
    assert.deepEqual(result, {
      ok: false,
      field: 'ramThreshold',
      message: 'ramThreshold must be a number between 1% and 100% (got 150%)',
    });
  });

  it('refuses letters, NaN, infinity and empty values for numbers', () => {
    for (const bad of ['90', Number.NaN, Number.POSITIVE_INFINITY, null, undefined, '']) {
      const result = threshold.parse({ ramThreshold: bad }, '');
      assert.equal(result.ok, false, `accepted ${String(bad)}`);
      assert.equal(!result.ok && result.field, 'ramThreshold');
    }
  });

  it('refuses unknown fields so that a typo never passes silently', () => {
    const result = threshold.parse({ ramThreshold: 90, ramThreshhold: 80 }, '');
    assert.equal(!result.ok && result.field, 'ramThreshhold');
  });

  it('refuses non-objects at the top level', () => {
    for (const bad of [null, [], 'x', 3]) assert.equal(threshold.parse(bad, '').ok, false);
  });

  it('checks whole numbers and enumerations', () => {
    assert.equal(s.number({ integer: true }).parse(2.5, 'layers').ok, false);
    const role = s.literalUnion(['SUBJECT', 'OBSERVER'] as const);
    assert.deepEqual(role.parse('GOD', 'instance'), {
      ok: false,
      field: 'instance',
      message: 'instance must be one of SUBJECT, OBSERVER (got "GOD")',
    });
  });

  it('describes every api method with a schema that refuses garbage', () => {
    for (const [name, schema] of Object.entries(METHODS)) {
      assert.equal(schema.parse('garbage', '').ok, false, name);
    }
  });
});
