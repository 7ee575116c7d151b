/** The options of {@link SessionManager} and of its methods. */
import type { Clock } from '../clock.ts';
import type { FeedDict } from '../graph/fetches.ts';
import type { Graph } from '../graph/Graph.ts';
import type { RunOptions } from '../graph/RunOptions.ts';
import type { Session, SessionConfig } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import type { SaverLike } from './Scaffold.ts';

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions {
  graph: Graph;
  localInitOp?: Tensor | undefined;
  localInitFeedDict?: FeedDict | undefined;
  localInitRunOptions?: RunOptions | undefined;
  readyOp?: Tensor | undefined;
  readyForLocalInitOp?: Tensor | undefined;
  /** Seconds between readiness checks while waiting. @default 30 */
  recoveryWaitSecs?: number;
  clock?: Clock | undefined;
}

/** Where to restore from. */
export interface RestoreOptions {
  saver?: SaverLike | undefined;
  checkpointDir?: string | undefined;
  checkpointFilenameWithPath?: string | undefined;
  /** Wait up to `maxWaitSecs` for a checkpoint to appear in `checkpointDir`. @default false */
  waitForCheckpoint?: boolean;
  /** @default 7200 */
  maxWaitSecs?: number;
}

/** Options of {@link SessionManager.prepareSession}. */
export interface PrepareSessionOptions extends RestoreOptions {
  master?: string;
  config?: SessionConfig | undefined;
  initOp?: Tensor | undefined;
  initFeedDict?: FeedDict | undefined;
  initFn?: ((session: Session) => unknown) | undefined;
}
