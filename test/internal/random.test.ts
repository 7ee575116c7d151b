import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom, seededRandom } from '../../src/internal/random.ts';

describe('seededRandom', () => {
  it('the same seed gives the same sequence in [0, 1); another seed another one', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 100 }, () => a());
    assert.deepEqual(
      Array.from({ length: 100 }, () => b()),
      xs,
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.notDeepEqual(Array.from({ length: 100 }, seededRandom(43)), xs);
  });

  it('keeps the values of the former cli/iris generator (mulberry32)', () => {
    const r = seededRandom(1);
    assert.deepEqual(
      [r(), r(), r()].map((x) => x.toFixed(10)),
      ['0.6270739406', '0.0027357212', '0.5274470400'],
    );
  });

  it('getState/setState resume the exact sequence', () => {
    const r = new SeededRandom(7);
    for (let i = 0; i < 13; i++) r.next();
    const saved = r.getState();
    const expected = Array.from({ length: 20 }, () => r.next());
    const other = new SeededRandom(99);
    other.setState(saved);
    assert.deepEqual(
      Array.from({ length: 20 }, () => other.next()),
      expected,
    );
    r.setState(saved);
    assert.equal(r.next(), expected[0]);
  });

  it('the state is a plain JSON-safe number', () => {
    const r = new SeededRandom(3);
    r.next();
    const state = r.getState();
    assert.equal(typeof state, 'number');
    assert.ok(Number.isInteger(state) && state >= 0 && state < 2 ** 32);
    assert.equal(JSON.parse(JSON.stringify(state)), state);
  });

  it('setState refuses what is not a 32-bit unsigned integer', () => {
    const r = new SeededRandom(3);
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) assert.throws(() => r.setState(bad), RangeError);
  });
});
