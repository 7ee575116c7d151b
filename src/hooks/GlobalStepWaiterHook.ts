import { sleep, systemClock, type Clock } from '../clock.ts';
import type { Graph } from '../graph/Graph.ts';
import type { Session } from '../graph/Session.ts';
import { checkOptions, expect, is } from '../internal/validate.ts';
import { logger } from '../logger.ts';
import { GraphBound } from './GraphBound.ts';
import { checkRunContext, runSession } from './hookArgs.ts';
import { clockOption } from './hookOptions.ts';
import { requireGlobalStep } from './requireGlobalStep.ts';
import { SessionRunHook, type SessionRunContext } from '../session/SessionRunHook.ts';

/** Options of {@link GlobalStepWaiterHook}. */
export interface GlobalStepWaiterHookOptions {
  waitUntilStep: number;
  /** @default systemClock */
  clock?: Clock;
}

const API = 'GlobalStepWaiterHook';
const BEFORE_RUN = `${API}.beforeRun`;

/** Delays a worker's first run until the global step reaches `waitUntilStep` (polling every 0.5 s). */
export class GlobalStepWaiterHook extends SessionRunHook {
  readonly #until: number;
  readonly #clock: Clock;
  readonly #step = new GraphBound(API, (graph) => requireGlobalStep(graph, API));
  #started = false;

  constructor(options: GlobalStepWaiterHookOptions) {
    super();
    const opts = checkOptions(API, options, ['waitUntilStep', 'clock'], { required: true });
    this.#until = expect(API, 'waitUntilStep', opts.waitUntilStep, is.finiteNumber);
    this.#clock = clockOption(API, opts.clock) ?? systemClock;
  }

  override begin(graph?: Graph): void {
    this.#step.begin(graph);
  }

  override afterCreateSession(session: Session): void {
    this.#step.afterCreateSession(session);
  }

  override async beforeRun(runContext: SessionRunContext): Promise<undefined> {
    if (this.#started) return undefined;
    checkRunContext(BEFORE_RUN, runContext);
    if (this.#until <= 0) {
      this.#started = true;
      return undefined;
    }
    logger.info(`Waiting for global step ${this.#until} before starting training.`);
    let lastLogged = 0;
    const session = runSession(BEFORE_RUN, runContext);
    for (;;) {
      const current = await session.run(this.#step.value);
      if (current >= this.#until) {
        this.#started = true;
        return undefined;
      }
      if (current - lastLogged > 1000) {
        logger.info(`Waiting for global step ${this.#until} before starting training. Current step is ${current}.`);
        lastLogged = current;
      }
      await sleep(this.#clock, 500);
    }
  }
}
