/**
 * The recovery policy of `MonitoredSession` and its one decision function, shaped like p-retry's
 * `shouldRetry`/`onFailedAttempt`: {@link decideRecovery} takes a frozen
 * `{ error, source, attemptNumber, retriesLeft }` and answers "recover or not, and after how long".
 * The lifecycle chart records that answer; `onRecovery` is called by a chart action afterwards.
 */
import { isRecoverable } from '../errors.ts';
import { logger } from '../logger.ts';
import { checkOptions, expect, is, misuse, optional } from '../internal/validate.ts';

import type { FailureSource } from '../../machines/lifecycleTypes.ts';

export type { FailureSource };

/** What `retryOn` is told (frozen; shaped like p-retry's context). */
export interface FailureInfo {
  readonly error: unknown;
  /** Where the error came from. */
  readonly source: FailureSource;
  /** 1 for the first recovery after a successful run (or creation). */
  readonly attemptNumber: number;
  /** Recoveries still allowed after this one (`Infinity` by default). */
  readonly retriesLeft: number;
}

/** What `onRecovery` is told (frozen): the failure and the delay before the session is recreated. */
export interface RecoveryInfo extends FailureInfo {
  /** Delay before the session is recreated. */
  readonly delayMs: number;
}

/**
 * Exponential backoff between consecutive recovery attempts. The first recovery after a step
 * that succeeded is immediate, as in TensorFlow (a lone transient failure costs the restore and
 * nothing more); only a failure that follows a failed attempt waits.
 */
export interface BackoffOptions {
  /** Delay before the second consecutive attempt; each one after waits `factor` times longer. @default 10 */
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
  /**
   * Which errors to recover from, whatever their source: creation, run, hook, step function or
   * coordinator. Synchronous; a throw counts as `false`. @default isRecoverable (AbortedError, UnavailableError)
   */
  retryOn?: (error: unknown, info: FailureInfo) => boolean;
  /** Consecutive recoveries allowed without a successful run in between. @default Infinity */
  maxRetries?: number;
  backoff?: BackoffOptions;
  /** Told of every recovery before the session is recreated. */
  onRecovery?: (info: RecoveryInfo) => void;
  /** Source of randomness for jitter. @default Math.random */
  random?: () => number;
}

/** A validated policy with every default filled. */
export interface ResolvedRecoveryPolicy {
  readonly retryOn: (error: unknown, info: FailureInfo) => boolean;
  readonly maxRetries: number;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly onRecovery: ((info: RecoveryInfo) => void) | undefined;
  readonly random: () => number;
}

/**
 * The answer of {@link decideRecovery}:
 * - `recover`: close the session and create a new one after `delayMs`;
 * - `detach`: the session is lost but the policy refuses to recover: close it, keep none;
 * - `rethrow`: not a lost session and not one to retry: the error goes to the caller, the session stays.
 */
export type RecoveryDecision =
  | { readonly action: 'recover'; readonly attemptNumber: number; readonly delayMs: number; readonly why: string }
  | {
      readonly action: 'detach' | 'rethrow';
      readonly attemptNumber: number;
      readonly delayMs: 0;
      readonly why: string;
    };

const API = 'MonitoredSession';

let defaultPolicy: ResolvedRecoveryPolicy | undefined;

/** Validates a policy and fills its defaults (the default policy is resolved once). @internal */
export function resolveRecoveryPolicy(policy: RecoveryPolicy | undefined, api = API): ResolvedRecoveryPolicy {
  if (policy === undefined) return (defaultPolicy ??= resolvePolicy(undefined, api));
  return resolvePolicy(policy, api);
}

function resolvePolicy(policy: RecoveryPolicy | undefined, api: string): ResolvedRecoveryPolicy {
  const p = checkOptions(api, policy, ['retryOn', 'maxRetries', 'backoff', 'onRecovery', 'random'], {
    name: 'recovery',
  });
  const b = checkOptions(api, p.backoff, ['initialMs', 'maxMs', 'factor', 'jitter'], { name: 'recovery.backoff' });
  const num = (key: string, value: unknown, fallback: number): number =>
    optional(api, `recovery.${key}`, value, is.nonNegativeNumber) ?? fallback;
  const jitter = num('backoff.jitter', b.jitter, 0.1);
  if (jitter > 1) misuse(api, 'recovery.backoff.jitter', 'at most 1', jitter);
  const fn = <F>(key: string, value: unknown): F | undefined =>
    optional(api, `recovery.${key}`, value, is.function) as F | undefined;
  const maxRetries = p.maxRetries === Infinity ? Infinity : num('maxRetries', p.maxRetries, Infinity);
  if (maxRetries !== Infinity) expect(api, 'recovery.maxRetries', maxRetries, is.nonNegativeInteger);
  return Object.freeze({
    retryOn: fn<ResolvedRecoveryPolicy['retryOn']>('retryOn', p.retryOn) ?? ((error: unknown) => isRecoverable(error)),
    maxRetries,
    initialMs: num('backoff.initialMs', b.initialMs, 10),
    maxMs: num('backoff.maxMs', b.maxMs, 1000),
    factor: num('backoff.factor', b.factor, 2),
    jitter,
    onRecovery: fn<ResolvedRecoveryPolicy['onRecovery']>('onRecovery', p.onRecovery),
    random: fn<() => number>('random', p.random) ?? Math.random,
  });
}

/**
 * The delay before attempt `attemptNumber` (1-based): none for the first after a success, then
 * exponential from `initialMs`, capped, with jitter. @internal
 */
export function backoffDelay(policy: ResolvedRecoveryPolicy, attemptNumber: number): number {
  if (attemptNumber <= 1) return 0;
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** (attemptNumber - 2));
  const spread = policy.jitter * (2 * policy.random() - 1);
  return Math.max(0, Math.round(base * (1 + spread)));
}

/** The attempt number of a failure: 1 after a success, else one more than the last attempt. The only place it is counted. */
export function nextAttempt(lastAttempt: number, succeededSince: boolean): number {
  return succeededSince ? 1 : lastAttempt + 1;
}

/** The frozen context of one failure, as `retryOn` sees it. @internal */
export function failureInfo(
  policy: ResolvedRecoveryPolicy,
  error: unknown,
  source: FailureSource,
  attemptNumber: number,
): FailureInfo {
  return Object.freeze({ error, source, attemptNumber, retriesLeft: Math.max(0, policy.maxRetries - attemptNumber) });
}

/**
 * The recovery decision, the only one: `retryOn` is consulted for every source, then `maxRetries`.
 * A session that can no longer be used (a lost session by default, or an error `retryOn` wants
 * retried) is detached when refused; any other error is handed back with the session kept.
 * @internal
 */
export function decideRecovery(policy: ResolvedRecoveryPolicy, info: FailureInfo): RecoveryDecision {
  const { error, attemptNumber } = info;
  let retry: boolean;
  try {
    retry = Boolean(policy.retryOn(error, info));
  } catch (thrown) {
    logger.error('recovery.retryOn threw; not recovering.', thrown);
    retry = false;
  }
  const lost = isRecoverable(error);
  if (!retry) return { action: lost ? 'detach' : 'rethrow', attemptNumber, delayMs: 0, why: 'retryOn refused' };
  if (attemptNumber > policy.maxRetries)
    return { action: 'detach', attemptNumber, delayMs: 0, why: `maxRetries (${policy.maxRetries}) reached` };
  return { action: 'recover', attemptNumber, delayMs: backoffDelay(policy, attemptNumber), why: 'retryOn accepted' };
}

/** Tells `onRecovery` of a recovery about to happen; its errors are logged, never thrown. @internal */
export function notifyRecovery(policy: ResolvedRecoveryPolicy, info: FailureInfo, delayMs: number): void {
  if (policy.onRecovery === undefined) return;
  try {
    policy.onRecovery(Object.freeze({ ...info, delayMs }));
  } catch (error) {
    logger.error('recovery.onRecovery threw; recovering anyway.', error);
  }
}
