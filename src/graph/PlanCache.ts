import { buildPlan, type Plan } from './executor.ts';
import type { Tensor } from './Tensor.ts';

/** Plans cached per session before the cache starts over (a program that builds fetch lists freely). */
const MAX_CACHED_PLANS = 1024;

interface Entry {
  fetches: Tensor[];
  fed: Tensor[];
  plan: Plan;
}

/**
 * A session's execution plans, one per (fetches, feeds) pair, built on first use. Plans are
 * bucketed by their first tensor and compared element-wise: no key string is built on the
 * per-step path.
 * @internal
 */
export class PlanCache {
  readonly #buckets = new Map<Tensor | undefined, Entry[]>();
  #count = 0;

  /** The plan for these fetches and feeds. */
  get(fetches: readonly Tensor[], fed: readonly Tensor[]): Plan {
    const head = fetches[0] ?? fed[0];
    const bucket = this.#buckets.get(head);
    if (bucket !== undefined) {
      for (let b = 0; b < bucket.length; b++) {
        const entry = bucket[b]!;
        if (sameTensors(entry.fetches, fetches) && sameTensors(entry.fed, fed)) return entry.plan;
      }
    }
    const plan = buildPlan(fetches, fed);
    if (this.#count >= MAX_CACHED_PLANS) this.clear();
    const entry = { fetches: [...fetches], fed: [...fed], plan };
    if (bucket === undefined) this.#buckets.set(head, [entry]);
    else bucket.push(entry);
    this.#count++;
    return plan;
  }

  /** Drops every plan (a closed session keeps none alive). */
  clear(): void {
    this.#buckets.clear();
    this.#count = 0;
  }
}

function sameTensors(a: readonly Tensor[], b: readonly Tensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
