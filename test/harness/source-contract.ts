import { describe, expect, it } from 'vitest';
import {
  createResolver,
  isWayfinderError,
  type Resolver,
  type ResolverState,
  type SchemeMap,
  type Source,
  systemClock,
} from '@wayfinder/core';

/**
 * The contract every source adapter passes (one shared suite, as STYLE.md asks). A fixture
 * gives a live registry holding one service:
 * - `target` (resolved with `schemes`) for a registry that starts with endpoint `a`;
 * - `add(port)` / `remove(port)` change the registry (127.0.0.1:<port> endpoints);
 * - `break()` makes the registry fail (stop the server, refuse), `restore()` undoes it.
 */
export interface SourceFixture {
  target: string;
  schemes: SchemeMap;
  /** The port of the endpoint the registry starts with. */
  initialPort: number;
  add(port: number): Promise<void>;
  remove(port: number): Promise<void>;
  break?(): Promise<void>;
  restore?(): Promise<void>;
  close(): Promise<void>;
  /** How long a change may take to show up (a DNS TTL, a poll interval). Default 10 s. */
  changeWithinMs?: number;
}

export function describeSourceContract(name: string, makeFixture: () => Promise<SourceFixture>): void {
  describe(`${name} (source contract)`, () => {
    const withResolver = async (run: (resolver: Resolver, fixture: SourceFixture) => Promise<void>) => {
      const fixture = await makeFixture();
      const resolver = createResolver({ target: fixture.target, schemes: fixture.schemes, backoff: { initialMs: 100, maxMs: 500 } });
      try {
        await run(resolver, fixture);
      } finally {
        await resolver.close();
        await fixture.close();
      }
    };

    it('lists the registry as a validated, frozen, sorted snapshot', async () => {
      await withResolver(async (resolver, fixture) => {
        const state = await resolver.ready({ timeoutMs: 20_000 });
        expect(state.endpoints.endpoints.map((e) => e.port)).toContain(fixture.initialPort);
        for (const e of state.endpoints) expect(Object.isFrozen(e)).toBe(true);
        const ids = state.endpoints.endpoints.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
      });
    });

    it('shows an added and a removed endpoint', async () => {
      await withResolver(async (resolver, fixture) => {
        await resolver.ready({ timeoutMs: 20_000 });
        const port = fixture.initialPort + 1;
        await fixture.add(port);
        await until(resolver, (s) => s.endpoints.endpoints.some((e) => e.port === port), fixture.changeWithinMs);
        await fixture.remove(port);
        await until(resolver, (s) => !s.endpoints.endpoints.some((e) => e.port === port), fixture.changeWithinMs);
      });
    });

    it('keeps the last good set, marked stale, while the registry fails, then recovers', async () => {
      const probe = await makeFixture();
      const supported = probe.break !== undefined;
      await probe.close();
      if (!supported) return;
      await withResolver(async (resolver, fixture) => {
        await resolver.ready({ timeoutMs: 20_000 });
        await fixture.break!();
        const stale = await until(resolver, (s) => s.stale, (fixture.changeWithinMs ?? 10_000) + 20_000);
        expect(stale.endpoints.endpoints.some((e) => e.port === fixture.initialPort)).toBe(true);
        expect(isWayfinderError(stale.error)).toBe(true);
        await fixture.restore!();
        await until(resolver, (s) => !s.stale, (fixture.changeWithinMs ?? 10_000) + 20_000);
      });
    });

    it('rejects a list whose signal is already aborted', async () => {
      const fixture = await makeFixture();
      try {
        const { createSource } = await import('@wayfinder/core');
        const source: Source = createSource(fixture.target, { schemes: fixture.schemes });
        const controller = new AbortController();
        controller.abort(new Error('aborted by test'));
        await expect(source.list({ signal: controller.signal, clock: systemClock, random: Math.random })).rejects.toBeDefined();
        await source.close?.();
      } finally {
        await fixture.close();
      }
    });
  });
}

/** Waits (bounded) until the resolver's current state satisfies `check`. */
export async function until(resolver: Resolver, check: (s: ResolverState) => boolean, timeoutMs = 10_000): Promise<ResolverState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = resolver.current;
    if (s && check(s)) return s;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last state: ${JSON.stringify(s && { stale: s.stale, ids: s.endpoints.endpoints.map((e) => e.id), error: s.error?.message })}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
