/** Option checks the hooks share: the clock, a tensor-or-name, and "every N steps or N seconds". @internal */
import type { Clock } from '../clock.ts';
import { UsageValueError, describeValue } from '../errors.ts';
import { Tensor } from '../graph/Tensor.ts';
import { anyOf, instanceOf, is, optional, withMethods, type Rule } from '../internal/validate.ts';
import { SecondOrStepTimer } from './SecondOrStepTimer.ts';

/** A clock: `now`, `setTimeout`, `clearTimeout`. */
export const clockRule: Rule<Clock> = withMethods<Clock>('a clock (with now, setTimeout and clearTimeout)', 'now', 'setTimeout', 'clearTimeout');

/** A tensor or the name of a node. */
export const tensorOrName: Rule<Tensor | string> = anyOf<Tensor | string>('a tensor or a node name', instanceOf(Tensor), is.nonEmptyString);

/** The optional `clock` option of `api`. */
export function clockOption(api: string, value: unknown): Clock | undefined {
  return optional(api, 'clock', value, clockRule);
}

/** Which options of a hook give its period, in the hook's own names, and their values. */
export interface PeriodOptions {
  readonly steps: readonly [name: string, value: unknown];
  readonly secs: readonly [name: string, value: unknown];
  readonly clock?: Clock | undefined;
}

/**
 * Checks that exactly one of the two period options is given (`null` counts as not given) and
 * builds the hook's timer. Steps are a non-negative integer; seconds a non-negative number
 * (`Infinity`: never by time).
 */
export function periodicTimer(api: string, { steps, secs, clock }: PeriodOptions): SecondOrStepTimer {
  const [stepsName, stepsValue] = steps;
  const [secsName, secsValue] = secs;
  const everySteps = optional(api, stepsName, stepsValue ?? undefined, is.nonNegativeInteger);
  const everySecs = optional(api, secsName, secsValue ?? undefined, is.duration);
  if ((everySteps === undefined) === (everySecs === undefined)) {
    const got = `got ${stepsName}=${describeValue(stepsValue)}, ${secsName}=${describeValue(secsValue)}`;
    throw new UsageValueError(`${api}: exactly one of \`${stepsName}\` and \`${secsName}\` must be given, ${got}`, {
      api,
      option: everySteps === undefined ? stepsName : secsName,
      received: everySteps === undefined ? stepsValue : secsValue,
    });
  }
  return new SecondOrStepTimer({ everySteps: everySteps ?? null, everySecs: everySecs ?? null, ...(clock ? { clock } : {}) });
}
