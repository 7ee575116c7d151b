/**
 * The types of the lifecycle statechart: its context, events, inputs and the inputs and outputs of
 * its actors. Pure: the session objects that travel through the chart are opaque here; `src/`
 * names them by augmenting {@link LifecycleRegister}.
 */

/**
 * Augment to name the session objects the chart carries (`src/` registers its raw `Session` and
 * its session stack), as TanStack Router's `Register` does. Unregistered, they are plain objects.
 */
export interface LifecycleRegister {}

/** The raw session the chart's creation actors hand on. */
export type RawSessionRef = LifecycleRegister extends { raw: infer R } ? R : object;
/** The session stack (coordinator, hooked session) the chart's actors hand on. */
export type SessionStackRef = LifecycleRegister extends { stack: infer S } ? S : object;

/** Why the session is closing. */
export type CloseKind = 'clean' | 'error';

/** Where a failure came from. `hook` is a hook's `beforeRun`/`afterRun`/`afterCreateSession`. */
export type FailureSource = 'creation' | 'run' | 'hook' | 'stepFn' | 'coordinator';

/** What the recovery decision chose (see `decideRecovery` in `src/session/recovery.ts`). */
export type RecoveryAction = 'recover' | 'detach' | 'rethrow';

/** One recovery, as recorded in the snapshot's context. */
export interface RecoveryRecord {
  /** Name of the error class that caused it (e.g. `AbortedError`). */
  readonly error: string;
  readonly message: string;
  /** Where it happened: `creation`, `run`, `hook`, `stepFn`, `coordinator`. */
  readonly source: FailureSource;
  /** 1 for the first attempt after a success. */
  readonly attemptNumber: number;
  readonly delayMs: number;
}

/** The failure being decided: the failing error lives in the chart's context. */
export interface Failure {
  /** Sequence number given by the reporter (0 for creation failures); the decision carries it. */
  readonly id: number;
  readonly error: unknown;
  readonly source: FailureSource;
  /** True when a run succeeded since the last recovery (the attempt count restarts). */
  readonly fresh: boolean;
}

/** The decision the chart recorded for a failure. */
export interface DecisionRecord {
  readonly failure: number;
  readonly action: RecoveryAction;
  readonly attemptNumber: number;
  readonly delayMs: number;
  /** Why, in words (`retryOn refused`, `maxRetries (3) reached`). */
  readonly why: string;
}

/** How the session is being closed: kind, the hooks' end reason, and the error of an error close. */
export interface CloseRequest {
  readonly kind: CloseKind;
  readonly reason: string;
  readonly cause: unknown;
}

/** What the chart was started with (`LifecycleInput`); it does not change. */
export interface LifecycleConfig {
  /** A readable name per hook (its class), for actor ids like `hook:CheckpointSaverHook#2`. */
  readonly hookNames: readonly string[];
  /** How long each hook's `end` may take before it is abandoned. */
  readonly endGraceMs: number;
  /** Whether the creator exposes restore/initialize steps (so the chart shows them). */
  readonly stepped: boolean;
  /** Whether the creator has something to restore from. */
  readonly restores: boolean;
}

/** The hook phase under way: which method the hook actors are called with, and at which hook. */
export interface HookPhase {
  readonly method: HookMethod;
  /** The index of the hook being called. */
  readonly cursor: number;
}

/** The spawned actors of the current session, by id. */
export interface SessionActors {
  /** Its producer (queue runner) actors. */
  readonly producers: readonly string[];
  /** Its hook actors, in hook order. */
  readonly hooks: readonly string[];
}

/** The session being built or in use. */
export interface SessionRefs {
  /** The raw session. */
  readonly raw: RawSessionRef | undefined;
  /** The session stack built on `raw` (once its services started). */
  readonly stack: SessionStackRef | undefined;
}

/**
 * The chart's context. Eighteen fields at most, grouped where they belong together: xstate copies
 * the context at every `assign` (`Object.assign({}, context, update)`), and V8 makes an object of
 * more than about twenty properties copied that way a slow dictionary, every copy and every read
 * then costing ten times more.
 */
export interface LifecycleContext {
  /** Increments with every created session; run errors carry it to ignore stale reports. */
  generation: number;
  sessionsCreated: number;
  recoveries: number;
  /** Attempt number of the last failure decided since the last successful creation. */
  attempt: number;
  /** Every recovery, oldest first (bounded). */
  history: RecoveryRecord[];
  /** The error that stopped progress (creation failure, refused recovery, close error). */
  lastError: unknown;
  /** The failure being (or last) decided. */
  failure: Failure | undefined;
  /** The last recovery decision. */
  decision: DecisionRecord | undefined;
  /** Whether the current session was restored from a checkpoint. */
  restored: boolean;
  /** Delay before the next creation attempt. */
  retryInMs: number;
  /** Set by `CLOSE`. */
  closing: CloseRequest | undefined;
  /** Producers still running after their grace period at the last close, abandoned. */
  abandoned: string[];
  /** Hooks abandoned because their `end` ran out of time. */
  abandonedHooks: string[];
  /** The spawned actors of the current session. */
  actors: SessionActors;
  /** The hook phase under way (or last). */
  hookPhase: HookPhase;
  /** True while the session is the one runs use (from `running` until it is left). */
  active: boolean;
  /** The session being built or in use. */
  session: SessionRefs;
  /** What the chart was started with. */
  config: LifecycleConfig;
}

export interface LifecycleInput {
  /** A name per hook (one hook actor each per created session). */
  hookNames?: readonly string[];
  endGraceMs?: number;
  stepped?: boolean;
  restores?: boolean;
}

/**
 * State tags: `settling` — an effect is under way; `sessionPending` — no session right now, but
 * one is being made (shouldStop() is false).
 */
export type LifecycleTag = 'settling' | 'sessionPending';

export type LifecycleEvent =
  /** A run, hook, step function or coordinator hit an error on session `generation`. */
  | { type: 'RECOVER'; error: unknown; source: FailureSource; generation: number; fresh?: boolean; failure?: number }
  /** Raised by the chart once a failure of the running session is decided. */
  | { type: 'DECIDED' }
  /** Asks a session-less lifecycle to create one (the next run needs it). */
  | { type: 'CREATE' }
  /** Starts the close: `clean` runs the hooks' `end`; `error` tells `endOnError` instead. */
  | { type: 'CLOSE'; kind: CloseKind; reason?: string; cause?: unknown }
  /** A hook actor finished the call it was asked to make. */
  | { type: 'HOOK.DONE'; index: number }
  /** A hook actor's call threw. */
  | { type: 'HOOK.FAILED'; index: number; error: unknown };

/** The lifecycle methods that hook actors call. */
export type HookMethod = 'afterCreateSession' | 'end' | 'endOnError';

/** What the chart sends a hook actor. */
export interface HookCall {
  type: 'CALL';
  method: HookMethod;
  /** For `end` and `endOnError`: how the session is closing. */
  closing: CloseRequest | undefined;
}

/** A hook actor's input. */
export interface HookActorInput {
  readonly index: number;
  readonly generation: number;
  readonly stack: SessionStackRef;
}

/** A producer to run as a child actor. */
export interface ProducerSpec {
  readonly id: string;
  readonly name: string;
  readonly generation: number;
  readonly index: number;
}

/** Output of `startCoordinator`: the session stack and the producers to spawn. */
export interface ServicesOutput {
  readonly stack: SessionStackRef;
  readonly producers: readonly ProducerSpec[];
}

/** Output of `closeStack`: producers abandoned after the grace period. */
export interface CloseOutput {
  abandoned: string[];
}

/** How many recoveries the snapshot's history keeps. */
export const MAX_HISTORY = 100;

/** The class name of a thrown value, for records. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** The message of a thrown value, for records. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The id of hook actor `index` (`hook:CheckpointSaverHook#2`). */
export function hookActorId(name: string, index: number): string {
  return `hook:${name}#${index}`;
}
