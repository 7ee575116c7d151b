/**
 * The summary API called with junk (what the API fuzz found): writers, the cache, the summary ops,
 * `buildHistogram` and `graphToPbtxt` refuse it with a UsageError naming the API and the field,
 * never a TypeError, a BigInt conversion error or a stack overflow from inside.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  Graph,
  InvalidArgumentError,
  Session,
  SummaryWriter,
  SummaryWriterCache,
  UsageError,
  graphToPbtxt,
  summary,
} from '../../src/index.ts';
import { HostileError } from '../fuzz/values.ts';

function misuse(api: string, option: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    const escaped = (s: string): string => s.replace(/[.[\]]/g, '\\$&');
    assert.match(e.message, new RegExp(`^${escaped(api)}: expected \`${escaped(option)}\``));
    return true;
  };
}

function revoked(): object {
  const r = Proxy.revocable({}, {});
  r.revoke();
  return r.proxy;
}

const root = mkdtempSync(path.join(tmpdir(), 'ms-summary-misuse-'));
let n = 0;
const writer = (): SummaryWriter => new SummaryWriter(path.join(root, `w${n++}`), { flushSecs: Infinity });

describe('the summary API called with junk', () => {
  after(async () => {
    await SummaryWriterCache.clear();
    rmSync(root, { recursive: true, force: true });
  });

  it('addSessionLog refuses a bad log or step, before a byte is encoded', async () => {
    const w = writer();
    const bytes = w.stats.bytes;
    assert.throws(() => w.addSessionLog(undefined as never, 1), misuse('SummaryWriter.addSessionLog', 'log'));
    assert.throws(
      () => w.addSessionLog({ status: 'NOPE' } as never, 1),
      misuse('SummaryWriter.addSessionLog', 'log.status'),
    );
    assert.throws(
      () => w.addSessionLog({ status: 'toString' } as never, 1),
      misuse('SummaryWriter.addSessionLog', 'log.status'),
    );
    assert.throws(
      () => w.addSessionLog({ status: 'START', msg: 3 } as never, 1),
      misuse('SummaryWriter.addSessionLog', 'log.msg'),
    );
    assert.throws(() => w.addSessionLog(revoked() as never, 1), misuse('SummaryWriter.addSessionLog', 'log'));
    for (const step of [1.5, NaN, -Infinity, 'c', {}, 2 ** 64, 2n ** 64n, Symbol('s')])
      assert.throws(
        () => w.addSessionLog({ status: 'START' }, step as never),
        misuse('SummaryWriter.addSessionLog', 'step'),
      );
    assert.equal(w.stats.bytes, bytes, 'nothing was written');
    // Valid steps keep working: numbers, negative ones, int64 bigints, and none.
    for (const step of [0, 7, -1, 2 ** 53, 5n, -(2n ** 63n), undefined])
      w.addSessionLog({ status: 'START' }, step as never);
    await w.close();
  });

  it('addSummary and addEvent name the field that is wrong', async () => {
    const w = writer();
    assert.throws(
      () => w.addSummary({ value: [{ tag: 3 }] } as never, 1),
      misuse('SummaryWriter.addSummary', 'summary.value[0].tag'),
    );
    assert.throws(
      () =>
        w.addSummary(
          {
            value: [
              { tag: 't', histo: { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [1n], bucket: [] } },
            ],
          } as never,
          1,
        ),
      misuse('SummaryWriter.addSummary', 'summary.value[0].histo.bucketLimit[0]'),
    );
    assert.throws(
      () => w.addSummary({ value: [revoked()] } as never, 1),
      misuse('SummaryWriter.addSummary', 'summary'),
    );
    assert.throws(() => w.addEvent(undefined as never), misuse('SummaryWriter.addEvent', 'event'));
    assert.throws(() => w.addEvent(null as never), misuse('SummaryWriter.addEvent', 'event'));
    assert.throws(() => w.addEvent({ wallTime: 'now' } as never), misuse('SummaryWriter.addEvent', 'event.wallTime'));
    assert.throws(
      () => w.addEvent({ wallTime: 1, step: 0.5 } as never),
      misuse('SummaryWriter.addEvent', 'event.step'),
    );
    assert.throws(
      () => w.addEvent({ wallTime: 1, sessionLog: {} } as never),
      misuse('SummaryWriter.addEvent', 'event.sessionLog.status'),
    );
    assert.throws(
      () => w.addEvent({ wallTime: 1, graphDef: [1] } as never),
      misuse('SummaryWriter.addEvent', 'event.graphDef'),
    );
    assert.throws(() => w.addGraph(revoked() as never), misuse('SummaryWriter.addGraph', 'graphDef'));
    // A throwing getter is the caller's error: it propagates as is.
    const hostile = Object.defineProperty({}, 'value', {
      get: () => {
        throw new HostileError('getter');
      },
    });
    assert.throws(
      () => w.addSummary(hostile as never, 1),
      (e: unknown) => e instanceof UsageError && e.cause instanceof HostileError,
    );
    w.addSummary({ value: [{ tag: 'ok', simpleValue: 1 }] }, 1);
    await w.close();
  });

  it('a close listener that rejects makes close reject, never an unhandled rejection; others still run', async () => {
    const w = writer();
    let told = 0;
    w.onClosed(async () => {
      throw new HostileError('listener');
    });
    w.onClosed(() => void told++);
    await assert.rejects(w.close(), HostileError);
    assert.equal(told, 1);
    assert.throws(() => w.onClosed(3 as never), misuse('SummaryWriter.onClosed', 'listener'));
  });

  it('SummaryWriterCache.release/forget refuse what is not a SummaryWriter', async () => {
    await assert.rejects(
      SummaryWriterCache.release(undefined as never),
      misuse('SummaryWriterCache.release', 'writer'),
    );
    assert.throws(
      () => SummaryWriterCache.forget({ logdir: 'x' } as never),
      misuse('SummaryWriterCache.forget', 'writer'),
    );
  });

  it('summary ops refuse a graph that is not a Graph, and merge a list that is not of tensors', () => {
    const g = new Graph();
    const c = g.constant(1, 'c');
    assert.throws(() => summary.scalar({} as never, 'c', c), misuse('summary.scalar', 'graph'));
    assert.throws(() => summary.histogram(undefined as never, 'h', c), misuse('summary.histogram', 'graph'));
    assert.throws(() => summary.merge(null as never, []), misuse('summary.merge', 'graph'));
    assert.throws(() => summary.merge(g, undefined as never), misuse('summary.merge', 'summaries'));
    assert.throws(() => summary.mergeAll('g' as never), misuse('summary.mergeAll', 'graph'));
    assert.throws(() => graphToPbtxt({ nodes: 1 } as never), misuse('graphToPbtxt', 'graph'));
  });

  it('a merge of a tensor that is not a summary fails as an InvalidArgumentError when it runs', async () => {
    const g = new Graph();
    const merged = summary.merge(g, [g.constant(1, 'not_a_summary')] as never);
    await assert.rejects(new Session(g).run(merged), InvalidArgumentError);
  });

  it('buildHistogram refuses junk and cycles (no stack overflow), and reads nested lists as before', async () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    assert.throws(() => summary.buildHistogram(undefined as never), misuse('summary.buildHistogram', 'values'));
    assert.throws(() => summary.buildHistogram(revoked() as never), misuse('summary.buildHistogram', 'values'));
    assert.throws(() => summary.buildHistogram(cyclic), misuse('summary.buildHistogram', 'values[1]'));
    assert.throws(() => summary.buildHistogram([1, [2, 'x']]), misuse('summary.buildHistogram', 'values[1][1]'));
    assert.throws(() => summary.buildHistogram([[revoked()]]), misuse('summary.buildHistogram', 'values[0][0]'));
    const h = summary.buildHistogram([1, [2, [3n, true]], new Float32Array([5])]);
    assert.deepEqual([h.num, h.sum, h.min, h.max], [5, 12, 1, 5]);
    const g = new Graph();
    const t = summary.histogram(g, 'h', g.constant([1, 'x'] as never, 'v'));
    await assert.rejects(new Session(g).run(t), InvalidArgumentError);
  });
});
