import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileWriter, SummaryWriter, TestClock, UsageError, summary } from '../../src/index.ts';
import { crc32c, maskedCrc32c } from '../../src/summary/crc32c.ts';
import { encodeEvent } from '../../src/summary/event.ts';
import { scalarValueTF2 } from '../../src/summary/ops.ts';
import { tfRecord } from '../../src/summary/SummaryWriter.ts';
import { rejectsWith } from '../helpers/assert.ts';
import { decodeRecords, readEventDir } from '../helpers/eventFile.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/"([^"]*)"/g, (_, t: string) => Buffer.from(t).toString('hex').replace(/(..)/g, '$1 ')).trim().split(/\s+/).map((b) => parseInt(b, 16)));

describe('TensorBoard event format (golden bytes of FORMATS.md)', () => {
  it('CRC-32C and its mask', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(maskedCrc32c(hex('18 00 00 00 00 00 00 00')), 0x224b7fa3);
  });

  it('record 1: the file version event, byte for byte', () => {
    const data = encodeEvent({ wallTime: 1599759586.0, fileVersion: 'brain.Event:2' });
    assert.deepEqual(data, hex('09 00 00 80 38 99 d6 d7 41 1a 0d "brain.Event:2"'));
    const record = tfRecord(data);
    assert.deepEqual(record.subarray(0, 12), hex('18 00 00 00 00 00 00 00 a3 7f 4b 22'));
    assert.deepEqual(record.subarray(-4), hex('12 4b 36 ab'));
  });

  it('record 2: a TF2 scalar "accuracy" = 0.99 at step 77, byte for byte', () => {
    const wallTime = new DataView(hex('c4 05 b7 3d 99 d6 d7 41').buffer).getFloat64(0, true);
    const data = encodeEvent({ wallTime, step: 77, summary: { value: [scalarValueTF2('accuracy', 0.99)] } });
    assert.deepEqual(
      data,
      hex('09 c4 05 b7 3d 99 d6 d7 41 10 4d 2a 25 0a 23 0a 08 "accuracy" 42 0a 08 01 12 00 22 04 a4 70 7d 3f 4a 0b 0a 09 0a 07 "scalars"'),
    );
    const record = tfRecord(data);
    assert.deepEqual(record.subarray(0, 12), hex('32 00 00 00 00 00 00 00 24 19 56 ec'));
    assert.deepEqual(record.subarray(-4), hex('a5 5b 64 33'));
  });
});

describe('SummaryWriter', () => {
  it('writes a new events.out.tfevents file that an independent decoder reads back', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-events-'));
    const clock = new TestClock(1_700_000_000_000);
    const writer = new SummaryWriter(dir, { clock });
    assert.match(path.basename(writer.filename), /^events\.out\.tfevents\.1700000000\.[^.]+\.\d+\.[\w-]+$/);
    writer.addSessionLog({ status: 'START' }, 0);
    writer.addSummary({ value: [{ tag: 'loss', simpleValue: 0.5 }] }, 1);
    writer.addSummary({ value: [{ tag: 'weights', histo: summary.buildHistogram([1, 2, 2, 3]) }] }, 2);
    writer.addSessionLog({ status: 'CHECKPOINT', checkpointPath: '/ckpt/model.ckpt-2' }, 2);
    await writer.close();
    const events = decodeRecords(await readFile(writer.filename));
    assert.equal(events[0]!.fileVersion, 'brain.Event:2');
    assert.equal(events[0]!.wallTime, 1_700_000_000);
    assert.equal(events[1]!.sessionLog!.status, 'START');
    assert.equal(events[2]!.step, 1);
    assert.equal(events[2]!.summary!.value[0]!.tag, 'loss');
    assert.equal(events[2]!.summary!.value[0]!.simpleValue, 0.5);
    const histo = events[3]!.summary!.value[0]!.histo!;
    assert.equal(histo.num, 4);
    assert.equal(histo.sum, 8);
    assert.equal(histo.bucket.reduce((a, b) => a + b, 0), 4);
    assert.deepEqual(events[4]!.sessionLog, { status: 'CHECKPOINT', checkpointPath: '/ckpt/model.ckpt-2' });
  });

  it('each writer opens a new file: a restart never appends to an old one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-events-'));
    const a = new SummaryWriter(dir);
    await a.close();
    const b = new FileWriter(dir);
    await b.close();
    assert.notEqual(a.filename, b.filename);
    assert.equal((await readEventDir(dir)).length, 2);
  });

  it('a write failure surfaces on flush and close, never as an unhandled rejection', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-events-'));
    const broken = new SummaryWriter(dir);
    // The file is opened by the background writer: put a directory in its place before it runs.
    mkdirSync(broken.filename);
    broken.addSummary({ value: [{ tag: 'x', simpleValue: 1 }] }, 1);
    await rejectsWith(broken.flush(), Error, /SummaryWriter: cannot write/);
    await rejectsWith(broken.close(), Error, /SummaryWriter: cannot write/);
  });

  it('flushes (fsyncs) periodically on the clock, not before', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-events-'));
    const clock = new TestClock();
    const writer = new SummaryWriter(dir, { clock, flushSecs: 10 });
    writer.addSummary({ value: [{ tag: 'x', simpleValue: 1 }] }, 1);
    await clock.advance(9_999);
    assert.equal(writer.stats.flushes, 0);
    // The timer's flush hands the records to the file synchronously: no wall-clock wait needed.
    await clock.advance(1);
    assert.equal(decodeRecords(await readFile(writer.filename)).length, 2);
    await writer.close();
    assert.ok(writer.stats.flushes >= 1);
  });

  it('flushSecs: Infinity means no periodic flush at all (no timer)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-events-'));
    const clock = new TestClock();
    const writer = new SummaryWriter(dir, { clock, flushSecs: Infinity });
    assert.equal(clock.pendingTimers, 0);
    await clock.advance(2 ** 31);
    assert.equal(writer.stats.flushes, 0);
    await writer.close();
  });

  it('a full queue writes out at once (back-pressure) instead of dropping', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-events-'));
    const writer = new SummaryWriter(dir, { maxQueue: 3 });
    for (let i = 0; i < 10; i++) writer.addSummary({ value: [{ tag: 'x', simpleValue: i }] }, i);
    assert.equal(writer.droppedRecords, 0);
    // The file-version record and the first two summaries fill the queue, then every third one.
    assert.equal(writer.stats.fullQueueWrites, 3);
    assert.equal(writer.stats.pendingRecords, 2);
    await writer.close();
    assert.equal(decodeRecords(await readFile(writer.filename)).length, 11);
  });

  it('validates its arguments', async () => {
    assert.throws(() => new SummaryWriter(''), UsageError);
    assert.throws(() => new SummaryWriter('/tmp/x', { flush_secs: 1 } as never), /unknown option `flush_secs`; did you mean `flushSecs`/);
    assert.throws(() => new SummaryWriter('/tmp/x', { flushSecs: 0 }), /`flushSecs`.*got 0/);
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-events-'));
    const writer = new SummaryWriter(dir);
    assert.throws(() => writer.addSummary({} as never, 1), /expected `summary` to be a Summary/);
    await writer.close();
    assert.throws(() => writer.addSummary({ value: [] }, 1), /is closed/);
  });
});
