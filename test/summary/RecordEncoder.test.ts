import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeEvent, writeEventRecord, type Event } from '../../src/summary/event.ts';
import { RecordEncoder } from '../../src/summary/RecordEncoder.ts';
import { tfRecord } from '../../src/summary/SummaryWriter.ts';
import type { SummaryValue } from '../../src/summary/ops.ts';
import { params } from '../helpers/property.ts';
import { decodeRecords } from '../helpers/eventFile.ts';
import { encodeEvent as legacyEncodeEvent } from './fixtures/legacyEncoder.ts';

const double = fc.double({ noNaN: false });
const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', minLength: 100, maxLength: 300 }));
const value: fc.Arbitrary<SummaryValue> = fc.oneof(
  fc.record({ tag: text, simpleValue: double }),
  fc.record({ tag: text, tensor: fc.record({ dtype: fc.constantFrom('DT_FLOAT' as const, 'DT_DOUBLE' as const), value: double }) }),
  fc.record({
    tag: text,
    histo: fc.record({
      min: double, max: double, num: double, sum: double, sumSquares: double,
      // Up to 2,100 doubles: lengths that need 1, 2 and 3 varint bytes.
      bucketLimit: fc.array(double, { maxLength: 2100 }),
      bucket: fc.array(double, { maxLength: 20 }),
    }),
  }),
  fc.record(
    { tag: text, simpleValue: double, metadata: fc.record({ pluginName: text, content: fc.uint8Array({ maxLength: 200 }), displayName: text, summaryDescription: text, dataClass: fc.nat(5) }, { requiredKeys: [] }) },
    { requiredKeys: ['tag'] },
  ),
);
const event: fc.Arbitrary<Event> = fc.record(
  {
    wallTime: double,
    step: fc.oneof(fc.nat(), fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })),
    fileVersion: text,
    graphDef: fc.uint8Array({ maxLength: 300 }),
    summary: fc.record({ value: fc.array(value, { maxLength: 4 }) }),
    sessionLog: fc.record({ status: fc.constantFrom('STATUS_UNSPECIFIED' as const, 'START' as const, 'STOP' as const, 'CHECKPOINT' as const), checkpointPath: text, msg: text }, { requiredKeys: ['status'] }),
  },
  { requiredKeys: ['wallTime'] },
);

describe('RecordEncoder (single-buffer event encoder)', () => {
  it('is byte-identical to the former encoder, framing and CRCs included, for any event', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 5 }), (events) => {
        const e = new RecordEncoder(16); // tiny on purpose: every record grows the buffer
        for (const ev of events) writeEventRecord(e, ev);
        const expected = Buffer.concat(events.map((ev) => tfRecord(legacyEncodeEvent(ev))));
        assert.deepEqual(e.bytes(), expected);
        for (const ev of events) assert.deepEqual(encodeEvent(ev), legacyEncodeEvent(ev));
      }),
      params(100),
    );
  });

  it('records decode with the independent reader (protobufjs and crc-32)', () => {
    const e = new RecordEncoder(8);
    const tag = 'é'.repeat(200); // 400 bytes: the length needs two varint bytes
    writeEventRecord(e, { wallTime: 1, step: 300, summary: { value: [{ tag, simpleValue: 0.25 }] } });
    writeEventRecord(e, { wallTime: 2, step: 0, sessionLog: { status: 'CHECKPOINT', checkpointPath: '/d/model.ckpt' } });
    const [a, b] = decodeRecords(e.bytes());
    assert.equal(a!.summary!.value[0]!.tag, tag);
    assert.equal(a!.step, 300);
    assert.equal(b!.sessionLog!.checkpointPath, '/d/model.ckpt');
  });
});
