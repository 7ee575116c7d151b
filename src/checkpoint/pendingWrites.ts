import path from 'node:path';

/** What `Saver.saveInBackground` resolves with once the values are taken. */
export interface BackgroundSave {
  /** The checkpoint's prefix (`<savePath>-<globalStep>`). */
  readonly prefix: string;
  /** Settles once the checkpoint is on disk, with its prefix, or rejects with the write's error. */
  readonly written: Promise<string>;
  /**
   * True while the write goes on without the event loop turning (it is on another thread): a
   * training loop that turns the loop only for the write can skip the turn meanwhile.
   */
  readonly quiet?: () => boolean;
}

/** Checkpoint writes in flight in this process, by directory (asynchronous checkpointing). */
const inFlight = new Map<string, Set<Promise<void>>>();

/**
 * Records `write` as in flight in `dir` until it settles; returns a promise that settles with it
 * and never rejects (the write's owner handles its failure).
 */
export function trackWrite(dir: string, write: Promise<unknown>): Promise<void> {
  const key = path.resolve(dir);
  const settled = write.then(
    () => {},
    () => {},
  );
  const writes = inFlight.get(key) ?? new Set();
  inFlight.set(key, writes.add(settled));
  void settled.then(() => {
    writes.delete(settled);
    if (writes.size === 0 && inFlight.get(key) === writes) inFlight.delete(key);
  });
  return settled;
}

/**
 * Waits until no checkpoint write of this process is in flight in `dir`: a restore then sees
 * the checkpoints this process saved before it, as after synchronous saves.
 */
export async function checkpointWritesSettled(dir: string): Promise<void> {
  const writes = inFlight.get(path.resolve(dir));
  if (writes !== undefined) await Promise.all(writes);
}
