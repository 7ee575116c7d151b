import type { ResourceStore } from '../graph/ResourceStore.ts';
import { andThen } from '../internal/promise.ts';

/**
 * Resume state kept in a session's store beside its variables, under names no graph node can
 * have (graph names never contain ':'). Per session like the queues' contents: a fresh session
 * starts from nothing, a restored one from its checkpoint, and sessions on a shared store share it.
 */
export function resumeKey(kind: 'input' | 'random', name: string): string {
  return `resume:${kind}/${name}`;
}

/** The value under `key`, or `fallback` when this session never wrote it. */
export function readOr<T>(store: ResourceStore, key: string, fallback: T): T | Promise<T> {
  if (store.readVariableOr !== undefined) return store.readVariableOr(key, fallback) as T | Promise<T>;
  return andThen(store.isInitialized(key), (set) => (set ? (store.readVariable(key) as T | Promise<T>) : fallback));
}
