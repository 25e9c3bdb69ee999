import type { Endpoint } from '@wayfinder/core';

/**
 * The sticky binding table: key → endpoint with last-use times, least recently used first out.
 * An intrusive doubly linked list in typed arrays (entry indices), so a hit only rewrites a few
 * integers: no Map re-insertion, no allocation. Capacity grows by doubling up to `maxEntries`.
 */
export class LruTable {
  readonly #index = new Map<string, number>();
  readonly #max: number;
  #keys: (string | undefined)[] = [];
  #endpoints: (Endpoint | undefined)[] = [];
  #slots = new Int32Array(0);
  #generations = new Int32Array(0);
  #usedMs = new Float64Array(0);
  #prev = new Int32Array(0);
  #next = new Int32Array(0);
  #head = -1;
  #tail = -1;
  #count = 0;

  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#count;
  }

  /** The entry of `key`, or -1. */
  find(key: string): number {
    return this.#index.get(key) ?? -1;
  }

  endpointOf(entry: number): Endpoint {
    return this.#endpoints[entry]!;
  }

  /** The balancer slot of the bound endpoint and its generation (see `SlotTable.generation`). */
  slotOf(entry: number): number {
    return this.#slots[entry]!;
  }

  generationOf(entry: number): number {
    return this.#generations[entry]!;
  }

  /** True when `entry` was used within `idleMs` of `nowMs` (a boolean, so no double crosses a call). */
  isLive(entry: number, nowMs: number, idleMs: number): boolean {
    return nowMs - this.#usedMs[entry]! <= idleMs;
  }

  /** Marks `entry` used now (moves it to the most recent end) and optionally rebinds it. */
  touch(entry: number, nowMs: number, endpoint?: Endpoint, slot = -1, generation = 0): void {
    this.#usedMs[entry] = nowMs;
    if (endpoint !== undefined) {
      this.#endpoints[entry] = endpoint;
      this.#slots[entry] = slot;
      this.#generations[entry] = generation;
    }
    if (this.#head === entry) return;
    this.#unlink(entry);
    this.#pushFront(entry);
  }

  /** Adds a binding for a key not in the table, dropping the least recently used beyond the bound. */
  insert(key: string, endpoint: Endpoint, slot: number, generation: number, nowMs: number): void {
    let entry: number;
    if (this.#count < this.#max) {
      entry = this.#count++;
      if (entry >= this.#usedMs.length) this.#grow();
    } else {
      entry = this.#tail;
      this.#unlink(entry);
      this.#index.delete(this.#keys[entry]!);
    }
    this.#keys[entry] = key;
    this.#endpoints[entry] = endpoint;
    this.#slots[entry] = slot;
    this.#generations[entry] = generation;
    this.#usedMs[entry] = nowMs;
    this.#index.set(key, entry);
    this.#pushFront(entry);
  }

  #unlink(entry: number): void {
    const p = this.#prev[entry]!;
    const n = this.#next[entry]!;
    if (p >= 0) this.#next[p] = n;
    else this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail = p;
  }

  #pushFront(entry: number): void {
    this.#prev[entry] = -1;
    this.#next[entry] = this.#head;
    if (this.#head >= 0) this.#prev[this.#head] = entry;
    this.#head = entry;
    if (this.#tail < 0) this.#tail = entry;
  }

  #grow(): void {
    const size = Math.min(this.#max, Math.max(64, this.#usedMs.length * 2));
    const used = new Float64Array(size);
    used.set(this.#usedMs);
    const prev = new Int32Array(size);
    prev.set(this.#prev);
    const next = new Int32Array(size);
    next.set(this.#next);
    const slots = new Int32Array(size);
    slots.set(this.#slots);
    this.#slots = slots;
    const generations = new Int32Array(size);
    generations.set(this.#generations);
    this.#generations = generations;
    this.#usedMs = used;
    this.#prev = prev;
    this.#next = next;
  }
}
