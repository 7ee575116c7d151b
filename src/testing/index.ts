/**
 * `monitored-session/testing`: the fault-injection kit, for tests of code built on monitored
 * sessions. `FaultPlan` decides which call of which seam fails and how; the wrappers apply it.
 */
export {
  FaultPlan,
  FaultySessionCreator,
  CoordinatorFaultHook,
  InjectedError,
  faultyHook,
  faultySession,
  faultyOp,
  faultySaver,
  faultValue,
} from './faults.ts';
export type { Fault, FaultKind, InjectedFault } from './faults.ts';
