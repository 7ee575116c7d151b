/**
 * Example for users: test your own hook on every lifecycle path with the exported spec.
 * `lifecycleSpec` has one event per chart edge and no effects, so xstate/graph's
 * `createTestModel` can walk every path; each edge's `exec` makes the call the runtime would make
 * on the hook at that point, and each state's check asserts the hook's own invariants.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestModel } from 'xstate/graph';
import { leafStatePath, lifecycleSpec } from '../../machines/index.ts';
import { SessionRunHook, type EndInfo, type Session } from '../../src/index.ts';

/** The hook under test: counts sessions and must never be used after its end. */
class SessionCountingHook extends SessionRunHook {
  begun = false;
  sessions = 0;
  ended = false;
  override begin(): void {
    assert.ok(!this.begun, 'begin twice');
    this.begun = true;
  }
  override afterCreateSession(): void {
    assert.ok(this.begun && !this.ended, 'afterCreateSession outside begin..end');
    this.sessions++;
  }
  override end(_session: Session, _info: EndInfo): void {
    assert.ok(!this.ended, 'end twice');
    this.ended = true;
  }
}

describe('example: a user hook on every lifecycle path (createTestModel over lifecycleSpec)', () => {
  const model = createTestModel(lifecycleSpec);
  // The spec drops guards: keep the paths that fit a session with this hook (its phases are never
  // skipped as "no hooks"), plus a full run with it, from creation to close.
  const fullRun = [
    'beginHooks done',
    'openSession done [isStepped]',
    'initializeSession done',
    'startCoordinator done',
    'HOOK.DONE [lastHook]',
    'CLOSE',
    'HOOK.DONE [lastHook]',
    'closeStack done',
  ];
  const paths = [
    ...model.getShortestPaths().filter((p) => !p.steps.some((step) => step.event.type.includes('[noHooks]'))),
    ...model.getPathsFromEvents(fullRun.map((type) => ({ type })) as never),
  ];
  it('the paths reach running, recovery and closed', () => {
    const reached = new Set(paths.flatMap((p) => p.steps.map((step) => leafStatePath(step.state.value))));
    for (const s of ['running', 'recovering.backingOff', 'stopping.endingHooks', 'closed'])
      assert.ok(reached.has(s), s);
  });
  for (const path of paths) {
    it(`reaches ${leafStatePath(path.state.value)}: ${path.description}`, async () => {
      const hook = new SessionCountingHook();
      let phaseEnded = false;
      const reachedRunning = path.steps.some((step) => leafStatePath(step.state.value) === 'running');
      await path.test({
        events: {
          'beginHooks done': () => hook.begin(),
          // A hook actor finished its call: afterCreateSession while starting, end while stopping.
          'HOOK.DONE [lastHook]': ({ state }) => {
            if (leafStatePath(state.value) === 'running') hook.afterCreateSession();
            else if (!phaseEnded) {
              hook.end(undefined as never, { reason: 'finished' });
              phaseEnded = true;
            }
          },
        },
        states: {
          '*': (state) => {
            const where = leafStatePath(state.value);
            if (hook.ended)
              assert.ok(where.startsWith('stopping') || where === 'closed', `used after end, in ${where}`);
            if (where === 'running') assert.ok(hook.begun);
          },
        },
      });
      // Every path that reaches `running` went through the hook's afterCreateSession.
      if (reachedRunning) assert.ok(hook.sessions >= 1, 'running without afterCreateSession');
    });
  }
});
