import { checkOptions, expect, is, misuse } from '../internal/validate.ts';

/** One element of a {@link SeekableSource}, and where to seek to continue after it. */
export interface SourceElement<T, P> {
  readonly done: false;
  readonly value: T;
  /** The position right after this element: `seek(position)` makes `next()` yield the element after it. */
  readonly position: P;
}

/** What `next()` returns past the end of the data. */
export interface SourceEnd {
  readonly done: true;
}

/**
 * An input a queue runner can resume from a position: an index into a data set, an offset into a
 * file, a (file, line) pair. Positions are immutable checkpointable values (numbers, strings,
 * plain JSON data): the runtime saves the position after the last element the trainer consumed
 * and seeks there when a session starts from that checkpoint.
 * @example
 * const rows: SeekableSource<Row, number> = {
 *   start: 0,
 *   seek(i) { at = i; },
 *   next: () => (at < data.length ? { done: false, value: data[at], position: ++at } : { done: true }),
 * };
 */
export interface SeekableSource<T, P = unknown> {
  /** Where the data begins: a session that restored no position reads from here. */
  readonly start: P;
  /** Moves the cursor to `position` (`start`, or a position `next()` returned). */
  seek(position: P): void | Promise<void>;
  /** The element at the cursor and the position after it, or `{ done: true }` at the end. */
  next(): SourceElement<T, P> | SourceEnd | Promise<SourceElement<T, P> | SourceEnd>;
}

/** A {@link SeekableSource} that answers synchronously (no promises), like {@link arraySource}. */
export interface SyncSeekableSource<T, P> extends SeekableSource<T, P> {
  seek(position: P): void;
  next(): SourceElement<T, P> | SourceEnd;
}

/** Options of {@link arraySource}. */
export interface ArraySourceOptions {
  /** Start over at the first element after the last (an endless source). @default false */
  repeat?: boolean;
}

/**
 * A seekable source over an array (or any indexable data set): the position is the number of
 * elements read so far, so with `repeat` it also counts epochs (`position / items.length`).
 * @example
 * const source = arraySource(examples, { repeat: true });
 */
export function arraySource<T>(items: readonly T[], options: ArraySourceOptions = {}): SyncSeekableSource<T, number> {
  const api = 'arraySource';
  expect(api, 'items', items, is.array);
  const repeat = checkOptions(api, options, ['repeat']).repeat ?? false;
  expect(api, 'repeat', repeat, is.boolean);
  let at = 0;
  return {
    start: 0,
    seek(position: number) {
      if (!Number.isSafeInteger(position) || position < 0)
        misuse(`${api}.seek`, 'position', 'a non-negative integer', position);
      at = position;
    },
    next(): SourceElement<T, number> | SourceEnd {
      if (items.length === 0 || (!repeat && at >= items.length)) return { done: true };
      const value = items[at % items.length] as T;
      at++;
      return { done: false, value, position: at };
    },
  };
}
