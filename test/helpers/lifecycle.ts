/** Watching a monitored session's lifecycle from its very first snapshot. */
import { leafStatePath } from '../../machines/index.ts';
import type { InspectObserver } from '../../src/index.ts';

/** Records the root actor's distinct leaf states (via `inspect`), and the root actor itself. */
export function recorder(): { states: string[]; inspect: InspectObserver; root: () => { send(event: unknown): void } } {
  const states: string[] = [];
  let root: { send(event: unknown): void } | undefined;
  return {
    states,
    inspect: (event) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
      root = event.actorRef as unknown as { send(event: unknown): void };
      const state = leafStatePath((event.snapshot as unknown as { value: unknown }).value);
      if (states.at(-1) !== state) states.push(state);
    },
    root: () => root!,
  };
}
