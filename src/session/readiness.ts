/** Readiness checks of {@link SessionManager}: TensorFlow's `_ready` and its report. */
import { describeValue, FailedPreconditionError } from '../errors.ts';
import type { Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import { logger } from '../logger.ts';

export type Readiness = { ready: true } | { ready: false; message: string };

export function nameOf(op: Tensor | undefined): string {
  return op === undefined ? 'None' : op.name;
}

/** TensorFlow's `_ready`: an op reporting uninitialized names; empty (or none) means ready. */
export async function ready(op: Tensor | undefined, session: Session, what: string): Promise<Readiness> {
  if (op === undefined) return { ready: true };
  try {
    const value = await session.run(op);
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return { ready: true };
    const names = Array.isArray(value) ? value.map(String).join(', ') : describeValue(value);
    return { ready: false, message: `Variables not initialized: ${names}` };
  } catch (error) {
    if (error instanceof FailedPreconditionError && error.message.includes('uninitialized')) {
      logger.warn(`${what}: ${error.message}`);
      return { ready: false, message: error.message };
    }
    throw error;
  }
}
