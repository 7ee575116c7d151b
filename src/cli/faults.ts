import { AbortedError, UnavailableError } from '../errors.ts';
import { seededRandom } from '../internal/random.ts';

/**
 * The CLI jobs' `--fault-rate`: `maybeFail(op)` throws UnavailableError or AbortedError (a lost
 * worker) with probability `rate`, from a seeded generator. Faults are the environment, not the
 * job: their generator is never checkpointed (a restored one would replay the same fault at the
 * same point forever).
 */
export function faultInjector(seed: number, rate: number) {
  const random = seededRandom(seed ^ 0x5eed);
  const faults = { count: 0 };
  const maybeFail = (op: string): void => {
    if (rate > 0 && random() < rate) {
      faults.count++;
      const Cls = random() < 0.5 ? UnavailableError : AbortedError;
      throw new Cls(`injected fault in '${op}' (--fault-rate ${rate})`);
    }
  };
  return { faults, maybeFail };
}
