import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph, GraphKeys, InvalidArgumentError, Session, UsageError, summary } from '../../src/index.ts';
import { buildHistogram, defaultBucketLimits } from '../../src/summary/histogram.ts';
import { rejectsWith } from '../helpers/assert.ts';

describe('summary ops', () => {
  it('scalar produces a Summary value with the tag and adds itself to SUMMARIES', async () => {
    const g = new Graph();
    const loss = g.constant(0.25, 'loss');
    const s = summary.scalar(g, 'train/loss', loss);
    assert.deepEqual(g.getCollection(GraphKeys.SUMMARIES), [s]);
    assert.deepEqual(await new Session(g).run(s), { value: [{ tag: 'train/loss', simpleValue: 0.25 }] });
  });

  it('scalar rejects non-numeric values at run time and empty tags at build time', async () => {
    const g = new Graph();
    assert.throws(() => summary.scalar(g, '', g.constant(1)), (e: unknown) => e instanceof UsageError && /summary\.scalar: expected `tag` to be a non-empty string, got ""/.test(String(e)));
    const s = summary.scalar(g, 'bad', g.constant('x' as unknown as number));
    await rejectsWith(new Session(g).run(s), InvalidArgumentError, /summary\.scalar\('bad'\): expected a number, got "x"/);
  });

  it('mergeAll merges every summary, and is undefined when there is none', async () => {
    const g = new Graph();
    assert.equal(summary.mergeAll(g), undefined);
    summary.scalar(g, 'a', g.constant(1));
    summary.histogram(g, 'h', g.constant([1, 2, 3]));
    const merged = summary.mergeAll(g)!;
    const value = await new Session(g).run(merged);
    assert.deepEqual(value.value.map((v) => v.tag), ['a', 'h']);
    assert.equal(value.value[1]!.histo!.num, 3);
  });

  it('histograms follow TensorFlow: default buckets, stats, empty runs collapsed', () => {
    const limits = defaultBucketLimits();
    assert.equal(limits.length, 1551);
    assert.equal(limits[775], 0);
    const h = buildHistogram(new Float32Array([1, 1, 2, -3]));
    assert.equal(h.num, 4);
    assert.equal(h.min, -3);
    assert.equal(h.max, 2);
    assert.equal(h.sum, 1);
    assert.equal(h.sumSquares, 15);
    assert.equal(h.bucket.reduce((a, b) => a + b, 0), 4);
    assert.equal(h.bucket.length, h.bucketLimit.length);
    // Each value falls in the first bucket whose limit is above it.
    const bucketOf = (v: number) => h.bucketLimit.findIndex((l) => l > v);
    assert.equal(h.bucket[bucketOf(1)], 2);
    assert.equal(h.bucket[bucketOf(2)], 1);
    assert.equal(h.bucket[bucketOf(-3)], 1);
    // No two empty buckets in a row.
    for (let i = 1; i < h.bucket.length; i++) assert.ok(h.bucket[i - 1]! > 0 || h.bucket[i]! > 0);
  });
});
