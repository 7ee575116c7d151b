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
} from './lifecycle.ts';
