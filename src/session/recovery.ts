import { ValueError, describeValue, isRecoverable } from '../errors.ts';

/** What `retryOn` and `onRecovery` are told (frozen; shaped like p-retry's context). */
export interface RecoveryInfo {
  readonly error: unknown;
  /** 1 for the first recovery after a successful run. */
  readonly attemptNumber: number;
  /** Recoveries still allowed for this failure (`Infinity` by default). */
  readonly retriesLeft: number;
  /** Where the error came from: `creation`, `run`, `stepFn`, `coordinator`. */
  readonly source: string;
  /** Delay before the session is recreated. */
  readonly delayMs: number;
}

/** Exponential backoff between recovery attempts. */
export interface BackoffOptions {
  /** Delay before the first retry. @default 10 */
  initialMs?: number;
  /** Cap on the delay. @default 1000 */
  maxMs?: number;
  /** Growth per consecutive attempt. @default 2 */
  factor?: number;
  /** Random spread, as a fraction of the delay (0.1 = ±10%). @default 0.1 */
  jitter?: number;
}

/**
 * How `MonitoredSession` recovers from lost sessions (beyond TensorFlow, which retries
 * AbortedError/UnavailableError forever with no delay). The default keeps TensorFlow's
 * behaviour with a short, capped backoff.
 */
export interface RecoveryPolicy {
  /** Which errors to recover from. @default isRecoverable (AbortedError, UnavailableError) */
  retryOn?: (error: unknown, info: Omit<RecoveryInfo, 'delayMs'>) => boolean;
  /** Consecutive recoveries allowed without a successful run in between. @default Infinity */
  maxRetries?: number;
  backoff?: BackoffOptions;
  /** Told of every recovery before the session is recreated. */
  onRecovery?: (info: RecoveryInfo) => void;
  /** Source of randomness for jitter. @default Math.random */
  random?: () => number;
}

/** A validated policy with every default filled. @internal */
export interface ResolvedRecoveryPolicy {
  retryOn: (error: unknown, info: Omit<RecoveryInfo, 'delayMs'>) => boolean;
  maxRetries: number;
  initialMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
  onRecovery: ((info: RecoveryInfo) => void) | undefined;
  random: () => number;
}

function nonNegative(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new ValueError(`MonitoredSession: expected \`recovery.${option}\` to be a non-negative number, got ${describeValue(value)}`);
  }
  return value;
}

/** Validates a policy and fills its defaults. @internal */
export function resolveRecoveryPolicy(policy: RecoveryPolicy | undefined): ResolvedRecoveryPolicy {
  if (policy !== undefined && (typeof policy !== 'object' || policy === null)) {
    throw new TypeError(`MonitoredSession: expected \`recovery\` to be an object, got ${describeValue(policy)}`);
  }
  const p = policy ?? {};
  for (const fn of ['retryOn', 'onRecovery', 'random'] as const) {
    if (p[fn] !== undefined && typeof p[fn] !== 'function') {
      throw new TypeError(`MonitoredSession: expected \`recovery.${fn}\` to be a function, got ${describeValue(p[fn])}`);
    }
  }
  const b = p.backoff ?? {};
  const factor = nonNegative('backoff.factor', b.factor, 2);
  const jitter = nonNegative('backoff.jitter', b.jitter, 0.1);
  if (jitter > 1) throw new ValueError(`MonitoredSession: expected \`recovery.backoff.jitter\` to be at most 1, got ${jitter}`);
  return {
    retryOn: p.retryOn ?? ((error) => isRecoverable(error)),
    maxRetries: nonNegative('maxRetries', p.maxRetries, Infinity),
    initialMs: nonNegative('backoff.initialMs', b.initialMs, 10),
    maxMs: nonNegative('backoff.maxMs', b.maxMs, 1000),
    factor,
    jitter,
    onRecovery: p.onRecovery,
    random: p.random ?? Math.random,
  };
}

/** The delay before attempt `attemptNumber` (1-based): exponential, capped, with jitter. @internal */
export function backoffDelay(policy: ResolvedRecoveryPolicy, attemptNumber: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attemptNumber - 1));
  const spread = policy.jitter * (2 * policy.random() - 1);
  return Math.max(0, Math.round(base * (1 + spread)));
}
