import type { HistogramProto } from './histogram.ts';
import type { Summary, SummaryValue } from './ops.ts';
import { RecordEncoder } from './RecordEncoder.ts';

/** TensorFlow's `SessionLog`: a run started, stopped, or saved a checkpoint. */
export interface SessionLog {
  status: 'STATUS_UNSPECIFIED' | 'START' | 'STOP' | 'CHECKPOINT';
  checkpointPath?: string;
  msg?: string;
}

/** One record of an event file (TensorFlow's `Event`): exactly one payload field is set. */
export interface Event {
  /** Seconds since the Unix epoch. */
  wallTime: number;
  step?: number | bigint;
  fileVersion?: string;
  /** A serialized `GraphDef` (TensorBoard's Graphs tab). */
  graphDef?: Uint8Array;
  summary?: Summary;
  sessionLog?: SessionLog;
  metaGraphDef?: Uint8Array;
}

/** `SessionLog.status` values and their protobuf numbers. */
export const SESSION_STATUS = { STATUS_UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } as const;
const DT_FLOAT = 1;
const DT_DOUBLE = 2;

function writeHistogram(e: RecordEncoder, h: HistogramProto): void {
  e.double(1, h.min);
  e.double(2, h.max);
  e.double(3, h.num);
  e.double(4, h.sum);
  e.double(5, h.sumSquares);
  e.packedDoubles(6, h.bucketLimit);
  e.packedDoubles(7, h.bucket);
}

function writeValue(e: RecordEncoder, v: SummaryValue): void {
  e.string(1, v.tag);
  if (v.simpleValue !== undefined) e.float(2, v.simpleValue, true);
  if (v.histo !== undefined) {
    const mark = e.begin(5);
    writeHistogram(e, v.histo);
    e.end(mark);
  }
  if (v.tensor !== undefined) {
    const double = v.tensor.dtype === 'DT_DOUBLE';
    const mark = e.begin(8);
    e.varint(1, double ? DT_DOUBLE : DT_FLOAT);
    e.end(e.begin(2)); // a scalar: an empty shape, present
    e.tag(4, 2);
    e.rawVarint(double ? 8 : 4);
    e.reserve(8);
    e.length = double
      ? e.buffer.writeDoubleLE(v.tensor.value, e.length)
      : e.buffer.writeFloatLE(v.tensor.value, e.length);
    e.end(mark);
  }
  if (v.metadata !== undefined) {
    const md = v.metadata;
    const mark = e.begin(9);
    const plugin = e.begin(1);
    e.string(1, md.pluginName);
    e.bytesField(2, md.content);
    e.end(plugin);
    e.string(2, md.displayName);
    e.string(3, md.summaryDescription);
    if (md.dataClass !== undefined) e.varint(4, md.dataClass);
    e.end(mark);
  }
}

/** Writes an `Event` message's fields at the end of `e`. */
export function writeEvent(e: RecordEncoder, event: Event): void {
  e.double(1, event.wallTime, true);
  if (event.step !== undefined) e.varint(2, event.step);
  e.string(3, event.fileVersion);
  e.bytesField(4, event.graphDef);
  if (event.summary !== undefined) {
    const mark = e.begin(5);
    for (const v of event.summary.value) {
      const value = e.begin(1);
      writeValue(e, v);
      e.end(value);
    }
    e.end(mark);
  }
  if (event.sessionLog !== undefined) {
    const log = event.sessionLog;
    const mark = e.begin(7);
    e.varint(1, SESSION_STATUS[log.status]);
    e.string(2, log.checkpointPath);
    e.string(3, log.msg);
    e.end(mark);
  }
  e.bytesField(9, event.metaGraphDef);
}

/** Appends `event` to `e` as one whole TFRecord (framing and CRCs computed in place). */
export function writeEventRecord(e: RecordEncoder, event: Event): void {
  const mark = e.beginRecord();
  writeEvent(e, event);
  e.endRecord(mark);
}

/** Encodes an `Event` message (a copy; the writer encodes in place instead). */
export function encodeEvent(event: Event): Uint8Array {
  const e = new RecordEncoder(256);
  writeEvent(e, event);
  return Uint8Array.from(e.bytes());
}

/** Encodes a `Summary` message. */
export function encodeSummary(summary: Summary): Uint8Array {
  const e = new RecordEncoder(256);
  for (const v of summary.value) {
    const mark = e.begin(1);
    writeValue(e, v);
    e.end(mark);
  }
  return Uint8Array.from(e.bytes());
}
