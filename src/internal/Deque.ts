/**
 * A growable ring buffer: O(1) push/shift at both ends without the O(n) cost of `Array#shift`.
 * @internal
 */
export class Deque<T> {
  #items: (T | undefined)[];
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 16) {
    let capacity = 4;
    while (capacity < initialCapacity) capacity *= 2;
    this.#items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#length++;
  }

  /** Removes and returns the first item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    return item;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes the first occurrence of `item`; true when it was found. O(n). */
  remove(item: T): boolean {
    const all = this.toArray();
    const i = all.indexOf(item);
    if (i < 0) return false;
    all.splice(i, 1);
    this.clear();
    for (const x of all) this.push(x);
    return true;
  }

  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#length = 0;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.#length; i++) out.push(this.#items[(this.#head + i) & (this.#items.length - 1)] as T);
    return out;
  }

  #grow(): void {
    const all = this.toArray();
    this.#items = new Array<T | undefined>(this.#items.length * 2);
    for (let i = 0; i < all.length; i++) this.#items[i] = all[i];
    this.#head = 0;
  }
}
