import { createResolver, type Resolver, type ResolverState } from '@wayfinder/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.js';
import { CHAOS_BACKOFF, ids, schemes } from './lib/fixture.js';
import { type HostileRegistry, snapshotEvent, startHostileRegistry } from './lib/hostile-registry.js';
import { recordScenario } from './lib/report.js';
import { CHAOS_SEED, scaled } from './lib/scale.js';

const MAX_RESPONSE_BYTES = 65_536;
const RUNS = scaled(150);

type Json = Record<string, unknown>;
const endpointsOf = (block: number, n: number): Json[] => Array.from({ length: n }, (_, i) => ({ address: `10.${block % 250}.${Math.floor(block / 250)}.${i + 1}`, port: 80 }));
const snapshot = (revision: string, endpoints: unknown): string => JSON.stringify({ service: 'svc', revision, endpoints });

/** Values of a type the endpoint schema rejects, per field. */
const WRONG: Record<string, fc.Arbitrary<unknown>> = {
  address: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.constant(''), fc.constant('10.0.0.1 evil')),
  port: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.integer({ min: 65_536 }), fc.integer({ max: 0 }), fc.constant(80.5), fc.constant(Number.MAX_SAFE_INTEGER + 2)),
  weight: fc.oneof(fc.string(), fc.boolean(), fc.array(fc.integer()), fc.integer({ max: -1 }), fc.integer({ min: 1_000_001 })),
  ready: fc.oneof(fc.string(), fc.integer(), fc.array(fc.boolean()), fc.dictionary(fc.string(), fc.boolean())),
  id: fc.oneof(fc.integer(), fc.boolean(), fc.constant(''), fc.constant('x'.repeat(600))),
  metadata: fc.oneof(fc.integer(), fc.string(), fc.boolean()),
  hints: fc.oneof(fc.string(), fc.integer(), fc.constant({ forZones: 'eu' })),
};

type Fault =
  | { kind: 'wrong-type'; via: 'sse' | 'get'; size: number; victim: number; field: string; value: unknown }
  | { kind: 'huge'; via: 'sse' | 'get'; size: number; padBytes: number }
  | { kind: 'duplicate-ids'; via: 'sse' | 'get'; size: number; explicitId: boolean }
  | { kind: 'cut-stream'; size: number; cutFraction: number }
  | { kind: 'not-a-snapshot'; via: 'sse' | 'get'; data: unknown }
  | { kind: 'wrong-top-level'; via: 'sse' | 'get'; endpoints: unknown };

const via = fc.constantFrom<'sse' | 'get'>('sse', 'get');
const size = fc.integer({ min: 2, max: 5 });
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc
    .record({ via, size, victim: fc.nat(), field: fc.constantFrom(...Object.keys(WRONG)) })
    .chain((r) => WRONG[r.field]!.map((value) => ({ kind: 'wrong-type' as const, ...r, victim: r.victim % r.size, value }))),
  fc.record({ kind: fc.constant('huge' as const), via, size, padBytes: fc.integer({ min: MAX_RESPONSE_BYTES, max: 6 * MAX_RESPONSE_BYTES }) }),
  fc.record({ kind: fc.constant('duplicate-ids' as const), via, size, explicitId: fc.boolean() }),
  fc.record({ kind: fc.constant('cut-stream' as const), size, cutFraction: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
  fc.record({ kind: fc.constant('not-a-snapshot' as const), via, data: fc.oneof(fc.string().filter((s) => !/[\r\n]/.test(s)), fc.jsonValue().map((v) => JSON.stringify(v))) }),
  fc.record({ kind: fc.constant('wrong-top-level' as const), via, endpoints: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.dictionary(fc.string(), fc.integer())) }),
);

/** The body the fault serves, built from a fresh endpoint block `b` (never seen in a good set). */
function badBody(fault: Fault, b: number, revision: string): string {
  switch (fault.kind) {
    case 'wrong-type': {
      const eps = endpointsOf(b, fault.size);
      eps[fault.victim] = { ...eps[fault.victim], [fault.field]: fault.value };
      return snapshot(revision, eps);
    }
    case 'huge': {
      const eps = endpointsOf(b, fault.size);
      eps[0] = { ...eps[0], metadata: { pad: 'x'.repeat(fault.padBytes) } };
      return snapshot(revision, eps);
    }
    case 'duplicate-ids': {
      const eps = endpointsOf(b, fault.size);
      eps[fault.size - 1] = fault.explicitId ? { ...eps[fault.size - 1], id: 'same' } : { ...eps[0] };
      if (fault.explicitId) eps[0] = { ...eps[0], id: 'same' };
      return snapshot(revision, eps);
    }
    case 'cut-stream':
      return snapshot(revision, endpointsOf(b, fault.size));
    case 'not-a-snapshot':
      return String(fault.data);
    case 'wrong-top-level':
      return snapshot(revision, fault.endpoints);
  }
}

let registry: HostileRegistry | undefined;
let resolver: Resolver | undefined;

afterAll(async () => {
  await resolver?.close();
  await registry?.close();
});

describe('malformed registry data (fast-check) from a hostile HTTP registry', () => {
  it('never crashes, never publishes a partial set, and keeps the last good one', async () => {
    registry = await startHostileRegistry();
    const reg = registry;
    let block = 0;
    const good = () => {
      block++;
      const revision = `ep-${block}`;
      return { revision, body: snapshot(revision, endpointsOf(block, 1 + (block % 3))), ids: endpointsOf(block, 1 + (block % 3)).map((e) => `${e.address}:${e.port}`).sort() };
    };
    let g = good();
    reg.setCurrent(g.body, g.revision);
    resolver = createResolver({ target: `${reg.target}?maxResponseBytes=${MAX_RESPONSE_BYTES}`, schemes, backoff: { initialMs: 10, maxMs: 100 } });
    const r = resolver;
    const published: ResolverState[] = [];
    r.subscribe((s) => published.push(s));
    const reached = async (revision: string) =>
      waitFor(() => r.current?.endpoints.revision === revision && !r.current.stale, { timeoutMs: 20_000, intervalMs: 5, what: `revision ${revision} (last ${r.current?.endpoints.revision})` });
    await reached(g.revision);

    const counts: Record<string, number> = {};
    let errorsReported = 0;
    let partials = 0;
    await fc.assert(
      fc.asyncProperty(faultArb, async (fault) => {
        counts[fault.kind] = (counts[fault.kind] ?? 0) + 1;
        const before = g;
        const from = published.length;
        block++;
        const badBlock = block;
        const bad = badBody(fault, badBlock, `ep-${badBlock}`);
        await waitFor(() => reg.openStreams > 0, { timeoutMs: 20_000, intervalMs: 5, what: 'an open watch stream' });
        const watchesBefore = reg.watches;
        const getsBefore = reg.gets;
        if (fault.kind === 'cut-stream') {
          const frame = snapshotEvent(bad, `ep-${badBlock}`);
          const dataStart = frame.indexOf('data: ') + 6;
          reg.cut(frame.slice(0, dataStart + Math.floor(fault.cutFraction * bad.length)));
        } else if (fault.via === 'sse') {
          reg.push(snapshotEvent(bad, `ep-${badBlock}`));
        } else {
          reg.nextGet(bad);
          reg.breakStreams();
          await waitFor(() => reg.gets > getsBefore, { timeoutMs: 20_000, intervalMs: 5, what: 'the client relisting' });
        }
        // Wait until the fault was processed: the client reported an error, or (cut stream) reconnected.
        await waitFor(() => published.slice(from).some((s) => s.error !== null) || (fault.kind === 'cut-stream' && reg.watches > watchesBefore), {
          timeoutMs: 20_000,
          intervalMs: 5,
          what: `the client noticing ${fault.kind}`,
        });
        if (published.slice(from).some((s) => s.error !== null)) errorsReported++;
        // The last good set is kept while broken.
        expect(ids(r.current!)).toEqual(before.ids);
        g = good();
        reg.setCurrent(g.body, g.revision);
        reg.push(snapshotEvent(g.body, g.revision));
        await reached(g.revision);
        const badIds = new Set(endpointsOf(badBlock, 6).map((e) => `${e.address}:${e.port}`));
        for (const s of published.slice(from)) {
          const seen = ids(s);
          const whole = seen.join() === before.ids.join() || seen.join() === g.ids.join();
          if (!whole || seen.some((id) => badIds.has(id))) partials++;
          expect(whole, `published [${seen.join(', ')}] after ${fault.kind}`).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: CHAOS_SEED, endOnFailure: true },
    );

    recordScenario({
      id: 'malformed',
      order: 5,
      title: 'Malformed registry data (fast-check)',
      setup:
        `A hostile registry (a real HTTP server on 127.0.0.1 speaking the protocol) serves, between good snapshots, ${RUNS} generated faults (seed ${CHAOS_SEED}) on the SSE stream or the next GET: ` +
        `wrong types in one endpoint among good ones, payloads over \`maxResponseBytes\` (${MAX_RESPONSE_BYTES} B here; up to 6×), duplicate ids, a snapshot frame cut mid-JSON with the socket destroyed, ` +
        `data that is no snapshot, a wrong \`endpoints\` value. One resolver (\`registry+http\` source) watches throughout.`,
      figures: [
        ['faults served / partial or bad sets published', `${RUNS} / ${partials}`],
        ['faults by kind', Object.entries(counts).map(([k, v]) => `${k} × ${v}`).join(', ')],
        ['faults reported as errors (others: a cut stream, reconnected)', errorsReported],
        ['snapshots published', published.length],
        ['GETs / watch connections served', `${reg.gets} / ${reg.watches}`],
      ],
      asserted: [
        'the process never crashed (no uncaught error in the vitest worker)',
        'every published set was exactly a whole good snapshot: never a partial one, never one with an id of a bad payload',
        'while a fault was being handled the last good set stayed published; the next good snapshot was applied',
      ],
    });
    expect(partials).toBe(0);
  });
});
