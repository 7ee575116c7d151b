import assert from 'node:assert/strict';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MonitoredSession, StepCounterHook, SummarySaverHook, SummaryWriter, SummaryWriterCache, summary } from '../../src/index.ts';
import { decodeRecords } from '../helpers/eventFile.ts';
import { gstepGraph } from '../helpers/tf.ts';

const tempDir = () => mkdtemp(path.join(tmpdir(), 'ms-summary-res-'));

/** The paths this process holds open, from /proc (Linux). */
async function openFiles(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return links;
}

describe('SummaryWriter never drops summaries', () => {
  it('a tight loop past maxQueue, never yielding to the event loop, loses no record', async () => {
    const writer = new SummaryWriter(await tempDir(), { maxQueue: 3 });
    for (let i = 0; i < 1000; i++) writer.addSummary({ value: [{ tag: 'x', simpleValue: i }] }, i);
    await writer.close();
    const events = decodeRecords(await readFile(writer.filename));
    assert.equal(events.length, 1001);
    assert.deepEqual(events.slice(1).map((e) => e.summary!.value[0]!.simpleValue), Array.from({ length: 1000 }, (_, i) => i));
    assert.equal(writer.stats.droppedRecords, 0);
    assert.equal(writer.stats.records, 1001);
  });

  it('a tight step loop with summary hooks writes every summary it asked for', async () => {
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    const op = summary.scalar(graph, 'step', gstep);
    const writer = new SummaryWriter(dir, { maxQueue: 4 });
    const hooks = [new SummarySaverHook({ saveSteps: 1, summaryOp: op, summaryWriter: writer }), new StepCounterHook({ everyNSteps: 1, summaryWriter: writer })];
    const sess = await MonitoredSession.create({ graph, hooks });
    for (let i = 0; i < 300; i++) await sess.run(doStep);
    await sess.close();
    await writer.close();
    const events = decodeRecords(await readFile(writer.filename));
    const steps = events.filter((e) => e.summary?.value[0]?.tag === 'step').map((e) => e.step);
    assert.deepEqual(steps, Array.from({ length: 300 }, (_, i) => i + 1));
    assert.equal(writer.stats.droppedRecords, 0);
  });
});

describe('SummaryWriterCache releases a directory with its last session', () => {
  it('closing the last session that writes summaries to a directory closes its event file', async (t) => {
    if (process.platform !== 'linux') return t.skip('reads /proc/self/fd');
    const dir = await tempDir();
    const { graph, gstep, doStep } = gstepGraph();
    const op = summary.scalar(graph, 'step', gstep);
    const hooks = [new SummarySaverHook({ saveSteps: 1, summaryOp: op, outputDir: dir }), new StepCounterHook({ everyNSteps: 1, outputDir: dir })];
    const sess = await MonitoredSession.create({ graph, hooks });
    for (let i = 0; i < 5; i++) await sess.run(doStep);
    await new Promise(setImmediate); // the writer hands its buffer to the file once the loop is free
    const [file] = (await readdir(dir)).filter((f) => f.includes('tfevents'));
    const eventFile = path.join(dir, file!);
    await sess.run(doStep);
    assert.ok((await openFiles()).includes(eventFile), 'open while the session runs');
    await sess.close();
    assert.ok(!(await openFiles()).includes(eventFile), 'closed with the last session');
    assert.equal(decodeRecords(await readFile(eventFile)).filter((e) => e.summary?.value[0]?.tag === 'step').length, 6);
  });

  it('a directory shared by two sessions stays open until both are closed; get() pins until clear()', async () => {
    const dir = await tempDir();
    const a = SummaryWriterCache.acquire(dir);
    const b = SummaryWriterCache.acquire(dir);
    assert.equal(a, b);
    await SummaryWriterCache.release(a);
    a.addSummary({ value: [{ tag: 'x', simpleValue: 1 }] }, 1);
    await SummaryWriterCache.release(b);
    assert.throws(() => a.addSummary({ value: [] }, 2), /is closed/);
    const c = SummaryWriterCache.acquire(dir);
    assert.notEqual(c, a);
    assert.equal(SummaryWriterCache.get(dir), c);
    await SummaryWriterCache.release(c);
    c.addSummary({ value: [] }, 3); // pinned by get()
    await SummaryWriterCache.clear();
    assert.throws(() => c.addSummary({ value: [] }, 4), /is closed/);
  });
});
