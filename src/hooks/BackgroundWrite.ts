/** How a checkpoint written in the background ended. */
export type WriteOutcome = { step: number; failed: false } | { step: number; failed: true; error: unknown };

/**
 * The one checkpoint write a `CheckpointSaverHook` has in the background (asynchronous
 * checkpointing), and its outcome, kept until the hook takes it at a step boundary, its next
 * save or its end: a failure is never dropped.
 */
export class BackgroundWrite {
  #write: Promise<void> | undefined;
  #outcome: WriteOutcome | undefined;
  #quiet: (() => boolean) | undefined;

  /** Follows `written`, the write of the checkpoint for `step` (after the previous outcome was taken). */
  track(step: number, written: Promise<unknown>, quiet?: () => boolean): void {
    this.#quiet = quiet;
    this.#write = written.then(
      () => void (this.#outcome = { step, failed: false }),
      (error: unknown) => void (this.#outcome = { step, failed: true, error }),
    );
  }

  /** True while a write is in flight (tracked, not yet ended). */
  get pending(): boolean {
    return this.#write !== undefined && this.#outcome === undefined;
  }

  /** True while the write is in flight and goes on without the event loop turning (the saver says so). */
  get quiet(): boolean {
    return this.pending && this.#quiet?.() === true;
  }

  /** True once the write has ended and its outcome is there to take. */
  get ended(): boolean {
    return this.#outcome !== undefined;
  }

  /** The outcome of the write, waiting for it if `wait`; `undefined` when there is none (yet). */
  async take(wait: boolean): Promise<WriteOutcome | undefined> {
    if (wait) await this.#write;
    const outcome = this.#outcome;
    if (outcome !== undefined) [this.#write, this.#outcome] = [undefined, undefined];
    return outcome;
  }
}
