import type { HistogramProto } from './histogram.ts';
import { ProtoWriter } from './proto.ts';
import type { Summary, SummaryValue } from './ops.ts';

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
  graphDef?: Uint8Array;
  summary?: Summary;
  sessionLog?: SessionLog;
  metaGraphDef?: Uint8Array;
}

const SESSION_STATUS = { STATUS_UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } as const;
const DT_FLOAT = 1;
const DT_DOUBLE = 2;

function encodeHistogram(w: ProtoWriter, h: HistogramProto): void {
  w.double(1, h.min).double(2, h.max).double(3, h.num).double(4, h.sum).double(5, h.sumSquares);
  w.packedDoubles(6, h.bucketLimit).packedDoubles(7, h.bucket);
}

function encodeValue(w: ProtoWriter, v: SummaryValue): void {
  w.string(1, v.tag);
  if (v.simpleValue !== undefined) w.float(2, v.simpleValue, true);
  if (v.histo !== undefined) w.message(5, (h) => encodeHistogram(h, v.histo!));
  if (v.tensor !== undefined) {
    const t = v.tensor;
    w.message(8, (m) => {
      m.varint(1, t.dtype === 'DT_DOUBLE' ? DT_DOUBLE : DT_FLOAT);
      m.message(2, () => {}); // a scalar: an empty shape, present
      const bytes = new DataView(new ArrayBuffer(t.dtype === 'DT_DOUBLE' ? 8 : 4));
      if (t.dtype === 'DT_DOUBLE') bytes.setFloat64(0, t.value, true);
      else bytes.setFloat32(0, t.value, true);
      m.bytes(4, new Uint8Array(bytes.buffer));
    });
  }
  if (v.metadata !== undefined) {
    const md = v.metadata;
    w.message(9, (m) => {
      m.message(1, (p) => p.string(1, md.pluginName).bytes(2, md.content));
      m.string(2, md.displayName).string(3, md.summaryDescription);
      if (md.dataClass !== undefined) m.varint(4, md.dataClass);
    });
  }
}

/** Encodes a `Summary` message. */
export function encodeSummary(summary: Summary): Uint8Array {
  const w = new ProtoWriter();
  for (const v of summary.value) w.message(1, (m) => encodeValue(m, v));
  return w.finish();
}

/** Encodes an `Event` message. */
export function encodeEvent(event: Event): Uint8Array {
  const w = new ProtoWriter();
  w.double(1, event.wallTime, true);
  if (event.step !== undefined) w.varint(2, event.step);
  w.string(3, event.fileVersion);
  w.bytes(4, event.graphDef);
  if (event.summary !== undefined) w.bytes(5, encodeSummary(event.summary));
  if (event.sessionLog !== undefined) {
    const log = event.sessionLog;
    w.message(7, (m) => m.varint(1, SESSION_STATUS[log.status]).string(2, log.checkpointPath).string(3, log.msg));
  }
  w.bytes(9, event.metaGraphDef);
  return w.finish();
}
