export { liveInspector } from './liveInspector.ts';
export type { LiveInspector, LiveInspectorOptions } from './liveInspector.ts';
export { flightRecorder } from './flightRecorder.ts';
export type { FlightRecorder, FlightRecorderOptions } from './flightRecorder.ts';
export { chartGraph } from './chartGraph.ts';
export { toStately, STATELY_PROTOCOL_VERSION } from './stately.ts';
export type {
  InspectorRecord,
  InspectorMeta,
  ChartGraph,
  ChartNode,
  ChartEdge,
  ErrorRecord,
  RecoveryEntry,
  ContextSummary,
  ActorKind,
} from './record.ts';
