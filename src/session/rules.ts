/** Validation rules shared by the session family's options (see `src/internal/validate.ts`). */
import type { Clock } from '../clock.ts';
import type { Hook } from './SessionRunHook.ts';
import { rule, withMethods, type Rule } from '../internal/validate.ts';
import type { InspectObserver } from './lifecycleEffects.ts';

/** A clock: `now`, `setTimeout`, `clearTimeout`. */
export const clockRule: Rule<Clock> = withMethods<Clock>(
  'a Clock (now, setTimeout, clearTimeout)',
  'now',
  'setTimeout',
  'clearTimeout',
);

/** An xstate inspection observer: a function, or an object whose `next`/`error`/`complete` are functions. */
export const inspectRule: Rule<InspectObserver> = rule<InspectObserver>(
  'a function or an observer ({ next, error, complete })',
  'type',
  (v) => {
    if (typeof v === 'function') return true;
    if (v === null || typeof v !== 'object') return false;
    const o = v as Record<string, unknown>;
    const fns = ['next', 'error', 'complete'].filter((k) => o[k] !== undefined);
    return fns.length > 0 && fns.every((k) => typeof o[k] === 'function');
  },
);

/** A hook: any object (each method is optional). */
export const hookRule: Rule<Hook> = rule<Hook>('a hook object', 'type', (v) => v !== null && typeof v === 'object');

/** An error class (a constructor). */
export const errorClassesRule = rule<(abstract new (...args: never[]) => unknown)[]>(
  'an array of error classes',
  'type',
  (v) => Array.isArray(v) && v.every((t) => typeof t === 'function'),
);
