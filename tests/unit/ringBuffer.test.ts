import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RingBuffer } from '../../electron/core/ringBuffer.js';

describe('ring buffer', () => {
  it('keeps at most `capacity` items, the newest', () => {
    const buffer = new RingBuffer<number>(3, Number.POSITIVE_INFINITY, (t) => t);
    for (let t = 1; t <= 5; t++) buffer.push(t);
    assert.deepEqual(buffer.toArray(), [3, 4, 5]);
  });

  it('drops items older than the age limit, measured from the newest', () => {
    const buffer = new RingBuffer<number>(100, 10, (t) => t);
    for (const t of [0, 5, 9, 12, 21]) buffer.push(t);
    assert.deepEqual(buffer.toArray(), [12, 21]);
    assert.deepEqual(buffer.toArray(20), [21]);
  });

  it('stays bounded however many items pass through', () => {
    const buffer = new RingBuffer<number>(1000, 60_000, (t) => t);
    for (let t = 0; t < 100_000; t++) buffer.push(t);
    assert.equal(buffer.length, 1000);
  });
});
