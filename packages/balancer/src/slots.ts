/**
 * Hot per-endpoint numbers in typed arrays (struct of arrays), indexed by a stable slot per
 * endpoint id: pick paths read contiguous memory instead of chasing one object per endpoint.
 * Slots of endpoints that left are reused through a free list, one build later (so pickers
 * handed out just before still read their own endpoint's numbers).
 */
export class SlotTable {
  active = new Int32Array(16);
  /** Peak-EWMA latency in ms (NaN until first set) and when it was last updated (clock ms). */
  ewmaMs = new Float64Array(16).fill(Number.NaN);
  ewmaAtMs = new Float64Array(16);
  /** Sum of the start times of calls in flight (clock ms), for the age of pending calls. */
  startSumMs = new Float64Array(16);
  weight = new Float64Array(16);
  /** Bumped each time a slot is given out: (slot, generation) names one endpoint's state. */
  generation = new Int32Array(16);
  #next = 0;
  readonly #free: number[] = [];
  readonly #pending: number[] = [];

  allocate(weight: number): number {
    const slot = this.#free.pop() ?? this.#next++;
    if (slot >= this.active.length) this.#grow();
    this.active[slot] = 0;
    this.ewmaMs[slot] = Number.NaN;
    this.ewmaAtMs[slot] = 0;
    this.startSumMs[slot] = 0;
    this.weight[slot] = weight;
    this.generation[slot] = (this.generation[slot]! + 1) | 0;
    return slot;
  }

  /** Frees `slot` after the next {@link recycle}. */
  release(slot: number): void {
    this.#pending.push(slot);
  }

  /** Makes slots released before the previous call reusable. */
  recycle(): void {
    for (const s of this.#pending) this.#free.push(s);
    this.#pending.length = 0;
  }

  #grow(): void {
    const size = this.active.length * 2;
    const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.active = grow(this.active, (n) => new Int32Array(n));
    this.ewmaMs = grow(this.ewmaMs, (n) => new Float64Array(n).fill(Number.NaN));
    this.ewmaAtMs = grow(this.ewmaAtMs, (n) => new Float64Array(n));
    this.startSumMs = grow(this.startSumMs, (n) => new Float64Array(n));
    this.weight = grow(this.weight, (n) => new Float64Array(n));
    this.generation = grow(this.generation, (n) => new Int32Array(n));
  }
}
