import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lifecycleSpec, type SpecEvent, type SpecMachine } from '../../machines/index.ts';

// Compile-time: `lifecycleSpec` has its real machine type (not `any`, not `AnyStateMachine`);
// `npm run typecheck` fails otherwise.
type IsAny<T> = 0 extends 1 & T ? true : false;
const notAny: IsAny<typeof lifecycleSpec> = false;
type EventOf<M extends SpecMachine> = Parameters<M['transition']>[1];
const close: EventOf<typeof lifecycleSpec> = { type: 'CLOSE' } satisfies SpecEvent;

describe('lifecycleSpec', () => {
  it('is typed as a SpecMachine and takes the chart events', () => {
    assert.equal(notAny, false);
    const spec: SpecMachine = lifecycleSpec;
    assert.equal(typeof spec.transition, 'function');
    assert.equal(close.type, 'CLOSE');
  });
});
