/**
 * Typed arrays made per step and too large for V8 to keep on the JS heap (over 64 bytes) get a
 * backing store of their own, allocated and later freed outside the heap: about 1 µs each, more
 * than drawing the numbers they hold. Here such an array up to {@link SLAB_MAX} bytes is a view
 * of a shared slab instead (as Node's `Buffer` pool does), ~15x cheaper. A slab's bytes are
 * handed out once (never reused), so every view starts zeroed and no two views overlap; the
 * price is that a view kept alive keeps its whole slab alive, and that its `.buffer` is the slab
 * (copy before transferring it).
 */
const SLAB_BYTES = 16 * 1024;
const SLAB_MAX = 2 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zeroed `Float64Array` of `length` elements, from the slab when it is small enough. @internal */
export function float64s(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  // Small enough for the JS heap (V8 keeps up to 64 bytes there), or too large to pool.
  if (bytes <= 64 || bytes > SLAB_MAX) return new Float64Array(length);
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Float64Array(slab, used, length);
  used += bytes;
  return out;
}
