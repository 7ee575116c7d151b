/**
 * The facade's waits on the lifecycle chart (for an outcome, for a session), and the one test they make of a snapshot: which
 * top-level state it is in (the name compared, where `matches` would parse a state path at each
 * snapshot a wait looks at).
 */
import { waitFor } from 'xstate';
import type { LifecycleActor, LifecycleSnapshot } from '../../machines/lifecycle.ts';

type TopState = 'running' | 'detached' | 'stopping';

/** Whether the chart is in one of the top-level `states`. */
export function isIn(snapshot: LifecycleSnapshot, ...states: TopState[]): boolean {
  const value = snapshot.value;
  return states.includes((typeof value === 'string' ? value : Object.keys(value)[0]) as TopState);
}

/** The first session is running, or the first creation failed (detached, done). */
export function firstOutcome(actor: LifecycleActor): Promise<LifecycleSnapshot> {
  return waitFor(actor, (s) => isIn(s, 'running', 'detached') || s.status === 'done');
}

/** The chart has a session again, has none (detached), or is closing. */
export function outcome(actor: LifecycleActor): Promise<LifecycleSnapshot> {
  return waitFor(actor, (s) => isIn(s, 'running', 'detached', 'stopping') || s.status === 'done');
}

/** The chart is closed. */
export function closed(actor: LifecycleActor): Promise<LifecycleSnapshot> {
  return waitFor(actor, (s) => s.status === 'done');
}

/** What the waits below read of the facade: its current session (stack), and whether it is closing. */
export interface FacadeView<S> {
  current(): S | undefined;
  closing(): boolean;
}

/** Waits until a session is current again, or none will be (detached, closing). */
export async function nextSession<S>(actor: LifecycleActor, view: FacadeView<S>): Promise<void> {
  while (view.current() === undefined && !view.closing()) {
    if (!isIn(await outcome(actor), 'running')) return;
  }
}

/**
 * The current session, waiting for a recovery in progress or asking a detached chart for a
 * session; `closedError()` once the facade is closing.
 */
export async function currentOrNew<S>(
  actor: LifecycleActor,
  view: FacadeView<S>,
  closedError: () => Error,
): Promise<S> {
  for (;;) {
    if (view.closing()) throw closedError();
    const current = view.current();
    if (current !== undefined) return current;
    if (isIn(actor.getSnapshot(), 'detached')) actor.send({ type: 'CREATE' });
    const snapshot = await outcome(actor);
    if (isIn(snapshot, 'running')) continue;
    if (isIn(snapshot, 'detached')) throw snapshot.context.lastError;
    throw closedError();
  }
}
