/**
 * Rendering values for messages, and reading error constructor arguments, without ever throwing:
 * the error classes must not fail on a Symbol message or a revoked proxy as options.
 */

/** Renders any thrown value for a message: `Error` → its message, others → `String(value)`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') {
    try {
      const name: unknown = (value as { name?: unknown }).name;
      return `function ${typeof name === 'string' && name !== '' ? name : '(anonymous)'}`;
    } catch {
      return 'function (anonymous)';
    }
  }
  if (value === null || typeof value !== 'object') return String(value);
  try {
    if (Array.isArray(value)) return `array(${value.length})`;
    if (ArrayBuffer.isView(value))
      return `${value.constructor.name}(${(value as unknown as { length?: number }).length ?? value.byteLength})`;
    const json = JSON.stringify(value);
    if (json === undefined) return Object.prototype.toString.call(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    // Cyclic, holding a bigint, or a proxy whose traps throw: describe it without touching it again.
    return describeOpaque(value);
  }
}

function describeOpaque(value: object): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return '[object]';
  }
}

/** The `op` and `cause` of an options argument, read without throwing (a revoked proxy reads as none). */
export function readOptions(options: unknown): { op?: unknown; cause?: unknown } {
  if (options === null || typeof options !== 'object') return {};
  try {
    const { op, cause } = options as { op?: unknown; cause?: unknown };
    return { op, cause };
  } catch {
    return {};
  }
}

/** Standard `ErrorOptions` when `options` is a readable object with a `cause`, else none. */
export function errorOptions(options: unknown): ErrorOptions | undefined {
  const { cause } = readOptions(options);
  return cause === undefined ? undefined : { cause };
}

/**
 * An error message from whatever was passed: a string as is, anything else rendered without
 * throwing (`new Error(Symbol())` would throw a raw `TypeError`).
 */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message === undefined) return '';
  try {
    return String(message as string);
  } catch {
    return describeValue(message);
  }
}

/** The `suggestion` of UnknownOptionError's fields, read without throwing. */
export function readSuggestion(fields: unknown): string | undefined {
  try {
    return (fields as { suggestion?: string } | null | undefined)?.suggestion;
  } catch {
    return undefined;
  }
}
