import {
  OpError,
  RuntimeError,
  StopIteration,
  UnknownError,
  UsageError,
  ValueError,
  attachOp,
  describeValue,
} from '../errors.ts';
import type { Tensor } from './Tensor.ts';

/**
 * Gives an error thrown by a node its identity, as TensorFlow does for a Python op: an `OpError`
 * keeps its class and gets the node's name as `op`; the package's typed errors (misuse, and the
 * Python-style `RuntimeError`/`ValueError`/`StopIteration`) keep their class and get `op` too;
 * anything else (a raw `TypeError`, a plain `Error`, a non-Error) becomes an `UnknownError` with
 * `op` set and the original as its `cause`.
 */
export function nodeError(node: Tensor, error: unknown): unknown {
  if (error instanceof OpError) return attachOp(error, node.name);
  if (isTyped(error)) return attachOpTo(error, node.name);
  const what =
    error instanceof Error ? `${error.name}: ${error.message}` : `a non-Error value: ${describeValue(error)}`;
  const verb = error instanceof Error ? 'failed with' : 'threw';
  return new UnknownError(`Op '${node.name}' ${verb} ${what}`, { op: node.name, cause: error });
}

function isTyped(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    error instanceof RuntimeError ||
    error instanceof ValueError ||
    error instanceof StopIteration
  );
}

function attachOpTo(error: Error, op: string): Error {
  if (!Object.prototype.hasOwnProperty.call(error, 'op') && Object.isExtensible(error)) {
    Object.defineProperty(error, 'op', { value: op, enumerable: false, configurable: true, writable: true });
  }
  return error;
}
