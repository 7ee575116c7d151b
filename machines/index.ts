export { lifecycleMachine, errorName, errorMessage, MAX_HISTORY } from './lifecycle.ts';
export type {
  LifecycleActor,
  LifecycleSnapshot,
  LifecycleContext,
  LifecycleEvent,
  LifecycleInput,
  RecoveryRecord,
  ProducerSpec,
  CloseOutput,
  CloseKind,
  CloseRequest,
  DecisionRecord,
  Failure,
  FailureSource,
  RecoveryAction,
  ServicesOutput,
  LifecycleRegister,
} from './lifecycle.ts';
export { hookActorId } from './lifecycle.ts';
export { timerMs, MAX_DELAY_MS } from './lifecycleSetup.ts';
export { toMermaid } from './mermaid.ts';
export {
  toSpecMachine,
  specEdges,
  leafStates,
  leafStatePath,
  type SpecEdge,
  type SpecEvent,
  type SpecMachine,
} from './spec.ts';

import { lifecycleMachine } from './lifecycle.ts';
import { toSpecMachine } from './spec.ts';

/** The lifecycle as a `createTestModel`-ready spec: no invokes, one event per chart edge. */
export const lifecycleSpec = toSpecMachine(lifecycleMachine);
