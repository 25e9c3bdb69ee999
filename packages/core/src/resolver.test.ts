import { describe, expect, it } from 'vitest';
import { createFakeClock, createFakeSource } from './fake/index.js';
import { createResolver, type ResolverState } from './resolver.js';
import { seededRandom } from './random.js';
import { SourceError } from './errors.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('resolver', () => {
  it('publishes the first list and becomes ready', async () => {
    const clock = createFakeClock();
    const source = createFakeSource({ endpoints: [{ address: '10.0.0.2', port: 80 }, { address: '10.0.0.1', port: 80 }] });
    const resolver = createResolver({ target: 'fake://a', source, clock, random: seededRandom(1) });
    const state = await resolver.ready();
    expect(state.endpoints.endpoints.map((e) => e.address)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(state.stale).toBe(false);
    await resolver.close();
  });

  it('keeps the last good set when the registry fails, and marks it stale', async () => {
    const clock = createFakeClock();
    const source = createFakeSource({ endpoints: [{ address: '10.0.0.1', port: 80 }] });
    const resolver = createResolver({ target: 'fake://a', source, clock, random: seededRandom(1) });
    await resolver.ready();
    const seen: ResolverState[] = [];
    resolver.subscribe((s) => seen.push(s));
    source.breakLists();
    await clock.advance(0);
    await tick();
    const last = seen.at(-1)!;
    expect(last.stale).toBe(true);
    expect(last.endpoints.size).toBe(1);
    expect(last.error).toBeInstanceOf(SourceError);
    await resolver.close();
  });
});
