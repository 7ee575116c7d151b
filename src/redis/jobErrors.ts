import { AbortedError, FailedPreconditionError, OutOfRangeError } from '../errors.ts';

/** What a session on a replaced run generation is told (also the Lua scripts' `ABORTED` reply). */
export const EPOCH_CHANGED =
  'The run generation of this job changed (the chief started a new session); this session must be re-created.';

/** What a session is told when its run generation is gone (also the Lua scripts' `ABORTED` reply). */
export const EPOCH_GONE =
  'The run generation of this job is gone (the Redis server restarted or lost its data); ' +
  'waiting for the chief to restore.';

/** @internal */
export function epochLost(changed: boolean): AbortedError {
  return new AbortedError(changed ? EPOCH_CHANGED : EPOCH_GONE);
}

/** @internal */
export function uninitialized(name: string): FailedPreconditionError {
  return new FailedPreconditionError(`Attempting to use uninitialized value ${name}`, { op: name });
}

/** @internal */
export function jobDone(job: string, step: string): OutOfRangeError {
  return new OutOfRangeError(`The job ${job} is complete (the chief finished at step ${step}).`);
}

/** @internal */
export function notReady(what: string, job: string): AbortedError {
  return new AbortedError(
    `${what}: the job ${job} has no run generation ready yet ` + '(waiting for the chief to initialize or restore it)',
  );
}
