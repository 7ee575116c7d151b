import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  AbortedError,
  MonitoredSession,
  UnknownOptionError,
  UsageValueError,
  withSession,
  type Hook,
} from '../../src/index.ts';
import { flightRecorder, liveInspector, type InspectorRecord } from '../../src/inspector/index.ts';
import { RingBuffer } from '../../src/inspector/RingBuffer.ts';
import { gstepGraph } from '../helpers/tf.ts';

describe('flightRecorder', () => {
  it('writes every inspection event with its time as JSON lines, after a meta line with the chart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'recorder-'));
    try {
      const file = path.join(dir, 'lifecycle.jsonl');
      const recorder = flightRecorder(file, { sampleEveryMs: 0 });
      const { graph, doStep } = gstepGraph();
      let thrown = false;
      const flaky: Hook = {
        afterRun: () => {
          if (!thrown) {
            thrown = true;
            throw new AbortedError('lost the worker');
          }
        },
      };
      const events: string[] = [];
      await withSession(
        MonitoredSession.create({ graph, hooks: [flaky], inspect: recorder, recovery: { backoff: { initialMs: 0 } } }),
        async (s) => {
          await s.run(doStep);
          await s.run(doStep);
        },
      );
      recorder.close();
      const lines = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as InspectorRecord & { type: string; chart?: unknown });
      assert.equal(lines[0]!.type, 'meta');
      assert.ok(lines[0]!.chart);
      const records = lines.slice(1);
      for (const r of records) events.push(r.type);
      assert.deepEqual(
        [...new Set(events)].sort(),
        [
          '@xstate.action',
          '@xstate.actor',
          '@xstate.event',
          '@xstate.microstep',
          '@xstate.snapshot',
          'end',
          'step',
        ].sort(),
      );
      assert.deepEqual(
        records.map((r) => r.seq),
        records.map((_, i) => i + 1),
        'in order, none missing',
      );
      assert.ok(records.every((r, i) => i === 0 || r.t >= records[i - 1]!.t));
      const recovery = records.find((r) => r.recovery)!.recovery!;
      assert.equal(recovery.message, 'lost the worker');
      assert.equal(records.filter((r) => r.kind === 'root' && r.type === '@xstate.snapshot').at(-1)!.state, 'closed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad options by name', () => {
    assert.throws(() => flightRecorder(''), UsageValueError);
    assert.throws(
      () => liveInspector({ port: -1 }),
      /liveInspector: expected `port` to be an integer port in \[0, 65535\], got -1/,
    );
    assert.throws(
      () => liveInspector({ recrod: 'x' } as never),
      (e) => e instanceof UnknownOptionError && /did you mean `record`/.test(e.message),
    );
  });
});

describe('RingBuffer', () => {
  it('keeps the last `capacity` items, oldest first, and counts what it dropped', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.equal(ring.dropped, 2);
  });
});
