/**
 * The facade's waits on the lifecycle chart, and the one test they make of a snapshot: which
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
