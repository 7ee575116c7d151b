/** A bounded first-in first-out buffer: pushing past the capacity drops the oldest item. */
export class RingBuffer<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;
  /** How many items were dropped since the start. */
  dropped = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size < this.capacity) {
      this.#items[(this.#start + this.#size++) % this.capacity] = item;
      return;
    }
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.capacity;
    this.dropped++;
  }

  /** The items, oldest first. */
  toArray(): T[] {
    return Array.from({ length: this.#size }, (_, i) => this.#items[(this.#start + i) % this.capacity]!);
  }
}
