/**
 * How an inspect observer reaches the session it watches, beyond xstate's inspection events: a
 * monitored session asks an observer that carries {@link INSPECTOR_SEAM} for extra hooks (the
 * inspector's step sampler), and tells it the session's hooks so hook actors get their names.
 * Kept tiny so the session imports nothing else of the inspector.
 */
import type { Hook } from './SessionRunHook.ts';

/** The key of the seam on an inspect observer. */
export const INSPECTOR_SEAM: unique symbol = Symbol.for('monitored-session.inspector');

/** What an observer offers through the seam. */
export interface InspectorSeam {
  /** Given the session's hooks, returns the hooks to add after them (none of them runs per step). */
  hooksFor(hooks: readonly Hook[]): Hook[];
}

/** The hooks `inspect` adds to a session with `hooks` (none for a plain observer). */
export function inspectorHooks(inspect: unknown, hooks: readonly Hook[]): Hook[] {
  if (inspect === null || (typeof inspect !== 'object' && typeof inspect !== 'function')) return [];
  const seam = (inspect as { [INSPECTOR_SEAM]?: InspectorSeam })[INSPECTOR_SEAM];
  return seam === undefined ? [] : seam.hooksFor(hooks);
}
