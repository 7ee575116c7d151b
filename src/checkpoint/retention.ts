import type { Dropped, Kept } from './commit.ts';

/** What a saver keeps: TensorFlow's `max_to_keep` and `keep_checkpoint_every_n_hours`. */
export interface RetentionPolicy {
  /** Checkpoints kept; 0 keeps all. */
  readonly maxToKeep: number;
  /** One checkpoint this often (ms) is kept for good. */
  readonly keepEveryMs: number;
  /** The checkpoint this run restored from: never deleted. */
  readonly restoredFrom: string | undefined;
}

/**
 * The retention after saving `latest`: the kept list with `latest` last, and the oldest
 * checkpoints past `maxToKeep` to delete: not one due under `keepEveryMs` (`nextKeepTime` is when
 * the next one is due), nor the one this run restored from. Applied only once the save succeeded.
 */
export function retain(
  kept: readonly Kept[],
  latest: Kept,
  nextKeepTime: number,
  policy: RetentionPolicy,
): { kept: Kept[]; dropped: Dropped[]; nextKeepTime: number } {
  const out = kept.filter((c) => c.path !== latest.path);
  out.push(latest);
  const dropped: Dropped[] = [];
  let next = nextKeepTime;
  while (policy.maxToKeep > 0 && out.length > policy.maxToKeep) {
    const oldest = out.shift()!;
    if (oldest.time >= next) {
      next += policy.keepEveryMs;
      continue;
    }
    if (oldest.path !== policy.restoredFrom) dropped.push({ prefix: oldest.path, files: oldest.files });
  }
  return { kept: out, dropped, nextKeepTime: next };
}
