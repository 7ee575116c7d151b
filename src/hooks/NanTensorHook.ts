import { NanLossDuringTrainingError } from '../errors.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { checkOptions, expect, is, optional } from '../internal/validate.ts';
import { logger } from '../logger.ts';
import { GraphBound } from './GraphBound.ts';
import { checkRunArgs } from './hookArgs.ts';
import { tensorOrName } from './hookOptions.ts';
import {
  SessionRunArgs,
  SessionRunHook,
  type SessionRunContext,
  type SessionRunValues,
} from '../session/SessionRunHook.ts';

/** Options of {@link NanTensorHook}. */
export interface NanTensorHookOptions {
  lossTensor: Tensor<number> | string;
  /** Throw `NanLossDuringTrainingError` on NaN; else request a stop. @default true */
  failOnNanLoss?: boolean;
}

const API = 'NanTensorHook';
const AFTER_RUN = `${API}.afterRun`;

/** Watches the loss: NaN fails the run (or stops it, with `failOnNanLoss: false`). */
export class NanTensorHook extends SessionRunHook<unknown> {
  readonly #fail: boolean;
  readonly #loss: GraphBound<Tensor>;

  constructor(options: NanTensorHookOptions) {
    super();
    const opts = checkOptions(API, options, ['lossTensor', 'failOnNanLoss'], { required: true });
    const spec = expect(API, 'lossTensor', opts.lossTensor, tensorOrName);
    this.#fail = optional(API, 'failOnNanLoss', opts.failOnNanLoss, is.boolean) ?? true;
    this.#loss = new GraphBound(API, (graph) => (spec instanceof Tensor ? spec : graph.getTensorByName(spec)));
  }

  override begin(graph?: Graph): void {
    this.#loss.begin(graph);
  }

  override afterCreateSession(session: Session): void {
    this.#loss.afterCreateSession(session);
  }

  override beforeRun(): SessionRunArgs {
    return this.#loss.fetchArgs;
  }

  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues<unknown>): void {
    checkRunArgs(AFTER_RUN, runContext, runValues);
    if (!Number.isNaN(runValues.results)) return;
    if (this.#fail) {
      logger.error('Model diverged with loss = NaN.');
      throw new NanLossDuringTrainingError();
    }
    logger.warn('Model diverged with loss = NaN.');
    runContext.requestStop();
  }
}
