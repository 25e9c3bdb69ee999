import type { Clock, TimerHandle } from '../clock.js';

/**
 * A clock for tests: time moves only when told. Timers fire in order of due time (then of
 * creation) during {@link FakeClock.advance}; promise callbacks run between timers, so code that
 * awaits between sleeps behaves as with real time.
 *
 * @example
 * const clock = createFakeClock();
 * const resolver = createResolver({ target, source, clock });
 * await clock.advance(800); // the first backoff elapses
 */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing due timers and letting promise chains settle. */
  advance(ms: number): Promise<void>;
  /** Fires timers until none is due within `limitMs` from now; returns the time advanced. */
  runAll(limitMs?: number): Promise<number>;
  /** Pending timers (for asserting that everything was cleaned up). */
  readonly pendingTimers: number;
  /** Due times (relative to now) of pending timers, soonest first. */
  pendingDelays(): number[];
}

export function createFakeClock(options: { startMs?: number; wallStartMs?: number } = {}): FakeClock {
  let now = options.startMs ?? 0;
  const wallOffset = (options.wallStartMs ?? 1_700_000_000_000) - now;
  let seq = 0;
  const timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
  const nextDue = (until: number) => {
    let best: [number, { at: number; seq: number; fn: () => void }] | undefined;
    for (const entry of timers) {
      const t = entry[1];
      if (t.at > until) continue;
      if (!best || t.at < best[1].at || (t.at === best[1].at && t.seq < best[1].seq)) best = entry;
    }
    return best;
  };
  const clock: FakeClock = {
    now: () => now,
    wallNow: () => now + wallOffset,
    setTimeout(fn, ms): TimerHandle {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), seq: id, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    async advance(ms) {
      const until = now + ms;
      await settle();
      for (let due = nextDue(until); due; due = nextDue(until)) {
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await settle();
      }
      now = until;
      await settle();
    },
    async runAll(limitMs = 3_600_000) {
      const start = now;
      await settle();
      for (let due = nextDue(start + limitMs); due; due = nextDue(start + limitMs)) {
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await settle();
      }
      return now - start;
    },
    get pendingTimers() {
      return timers.size;
    },
    pendingDelays() {
      return [...timers.values()].map((t) => t.at - now).sort((a, b) => a - b);
    },
  };
  return clock;
}
