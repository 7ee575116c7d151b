/** The options of `CheckpointSaverHook`, its listeners and where it logs checkpoints. */
import type { Clock } from '../clock.ts';
import type { Session } from '../graph/Session.ts';
import type { SaverLike, Scaffold } from '../session/Scaffold.ts';

type MaybePromise<T> = T | Promise<T>;

/** Told around every save of a {@link CheckpointSaverHook} (TensorFlow's `CheckpointSaverListener`). */
export interface CheckpointSaverListener {
  begin?(): MaybePromise<void>;
  beforeSave?(session: Session, globalStep: number): MaybePromise<void>;
  /** Returning true asks the session to stop. */
  afterSave?(session: Session, globalStep: number): MaybePromise<boolean | void>;
  end?(session: Session, globalStep: number): MaybePromise<void>;
}

/** Where the hook reports checkpoint events (a `SummaryWriter` has this method). */
export interface SessionLogSink {
  addSessionLog(
    log: { status: 'START' | 'STOP' | 'CHECKPOINT'; checkpointPath?: string; msg?: string },
    step: number,
  ): void;
  /** Receives the serialized `GraphDef` after each session creation, with `saveGraphDef`. */
  addGraph?(graphDef: Uint8Array): void;
}

/** Options of {@link CheckpointSaverHook}. */
export interface CheckpointSaverHookOptions {
  checkpointDir: string;
  /** Save every N seconds (on the clock). Exactly one of `saveSecs`, `saveSteps`. */
  saveSecs?: number | null;
  /** Save every N global steps. */
  saveSteps?: number | null;
  /** The saver; else the scaffold's; else the single one in `GraphKeys.SAVERS`. */
  saver?: SaverLike;
  /** @default 'model.ckpt' */
  checkpointBasename?: string;
  scaffold?: Scaffold;
  listeners?: readonly CheckpointSaverListener[];
  /**
   * Write `graph.pbtxt` and a `graph_def` event (TensorBoard's Graphs tab) after each session
   * creation, and a `.meta` file with each checkpoint. @default true
   */
  saveGraphDef?: boolean;
  /** Receives a `CHECKPOINT` session log per save. */
  summaryWriter?: SessionLogSink;
  /**
   * What a failed save does. TensorFlow stops the run; by default this hook reports the error
   * (logger and `onSaveError`) and lets training go on, trying again at the next save. @default false
   */
  failOnSaveError?: boolean;
  /** Told of every failed save. */
  onSaveError?: (error: unknown, globalStep: number) => void;
  /**
   * Asynchronous checkpointing (TensorFlow 2's `experimental_enable_async_checkpoint`): a save
   * takes the values at the step boundary (copies) and writes them while training goes on. The
   * next save, the end of the session and a restore from the directory wait for the write. A
   * failed write is handled as a failed save (`failOnSaveError`, `saveErrors`, `onSaveError`,
   * the saver's `failedSaves`) at the first step boundary after it; a checkpoint is logged and
   * listeners' `afterSave` told once it is written. The saver needs `saveInBackground` (`Saver`
   * has it); the final save at the end is synchronous. @default false
   */
  async?: boolean;
  clock?: Clock;
}
