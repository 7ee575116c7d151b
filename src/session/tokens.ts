/** Keys the monitored-session classes share with their helpers (not part of the public API's names). */

/** Closing with a kind, the error of an error close, and the hooks' end reason. */
export const CLOSE_WITH = Symbol('closeWith');
/** The token only `create()` passes to the constructors. */
export const CREATE = Symbol('create');
