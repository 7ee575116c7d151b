import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { float64s } from '../../src/internal/slab.ts';

describe('float64s', () => {
  it('answers zeroed arrays of the asked length that never share elements', () => {
    const arrays = Array.from({ length: 100 }, (_, i) => float64s(1 + (i % 300)));
    arrays.forEach((a, i) => {
      assert.equal(a.length, 1 + (i % 300));
      assert.ok(a.every((x) => x === 0));
      a.fill(i + 1);
    });
    arrays.forEach((a, i) => assert.ok(a.every((x) => x === i + 1)));
  });
});
