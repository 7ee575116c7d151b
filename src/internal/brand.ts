/** Marks monitored sessions, so helpers can recognize them without importing their module. */
export const MONITORED_SESSION: unique symbol = Symbol.for('monitored-session.MonitoredSession') as never;

/** Yields to the event loop's macrotask queue (lets timers and I/O run). @internal */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
