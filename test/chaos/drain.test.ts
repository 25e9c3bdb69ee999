import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.js';
import type { Backend } from './lib/backends.js';
import { createChaosClient, type DevRegistry, killAll, startBackends, startDevRegistry } from './lib/fixture.js';
import { ms, startLoad } from './lib/load.js';
import { recordScenario } from './lib/report.js';
import { scaled } from './lib/scale.js';

const BACKENDS = 3;
const DRAIN_MS = 1500;
const SLOW_MS = 2500;
const SLOW_CALLS = 6;
const RATE_PER_SECOND = 60;

const backends: Backend[] = [];
let registry: DevRegistry | undefined;

afterAll(async () => {
  await killAll(backends);
  await registry?.stop();
});

/** Sequence numbers of the requests a backend saw arrive after it received SIGTERM. */
function arrivalsAfterTerm(output: string): number[] {
  const after = output.slice(output.indexOf('term\n'));
  return [...after.matchAll(/^A (\d+)$/gm)].map((m) => Number(m[1]));
}

describe('graceful drain: SIGTERM on a registered backend under load', () => {
  it('sends no new request to the terminating endpoint and lets its in-flight ones complete', async () => {
    registry = await startDevRegistry();
    await startBackends(BACKENDS, { registry: registry.url, ttlSeconds: 2, drainMs: DRAIN_MS, logRequests: true }, backends);
    const chaos = createChaosClient(registry.target('chaos'));
    await chaos.until((s) => s.endpoints.size === BACKENDS, 'all backends seen');

    const durationMs = scaled(8000);
    const load = startLoad({
      send: (seq) => chaos.client.fetch(`http://chaos/work?ms=5&seq=${seq}`),
      ratePerSecond: RATE_PER_SECOND,
      maxInFlight: 16,
      durationMs,
      maxRequests: Math.ceil((durationMs / 1000) * RATE_PER_SECOND),
    });
    await waitFor(() => load.result.ok >= RATE_PER_SECOND, { timeoutMs: 30_000, what: 'a second of steady load' });
    const slow = Array.from({ length: SLOW_CALLS }, (_, i) =>
      chaos.client.fetch(`http://chaos/work?ms=${SLOW_MS}&seq=s${i}`).then(async (r) => ({ status: r.status, backend: r.headers.get('x-backend'), body: await r.text() })),
    );
    // The victim is a backend serving at least one slow call right now.
    let victim: Backend | undefined;
    await waitFor(() => (victim = backends.find((b) => /^A s\d+$/m.test(b.proc.output()))) !== undefined, { timeoutMs: 30_000, what: 'a slow call in flight' });
    const inFlightAtTerm = [...victim!.proc.output().matchAll(/^A (s\d+)$/gm)].map((m) => m[1]).filter((s) => !new RegExp(`^D ${s}$`, 'm').test(victim!.proc.output()));

    let markSeq: number | undefined;
    let termSentAt = 0;
    let seenAt = 0;
    const off = chaos.resolver.subscribe((state) => {
      if (markSeq === undefined && state.endpoints.get(victim!.id)?.terminating) {
        markSeq = load.nextSeq;
        seenAt = performance.now();
      }
    });
    termSentAt = performance.now();
    const exited = victim!.terminate();
    await chaos.until((s) => s.endpoints.get(victim!.id) === undefined, 'victim deregistered');
    await exited;
    const exitCode = await victim!.proc.exited;
    off();
    const slowResults = await Promise.all(slow);
    const result = await load.done;
    await chaos.close();

    const late = arrivalsAfterTerm(victim!.proc.output()).filter((seq) => markSeq !== undefined && seq >= markSeq);
    const lastVictimArrival = Math.max(0, ...arrivalsAfterTerm(victim!.proc.output()));
    const slowOnVictim = slowResults.filter((r) => r.backend === victim!.id);

    recordScenario({
      id: 'drain',
      order: 2,
      title: 'Graceful drain',
      setup:
        `${BACKENDS} backends (dev registry, TTL 2 s), ${RATE_PER_SECOND} req/s of 5 ms requests for ${durationMs / 1000} s plus ${SLOW_CALLS} calls of ${SLOW_MS} ms, least request. ` +
        `A backend serving a slow call gets SIGTERM: its registration goes terminating, waits ${DRAIN_MS} ms, deregisters, then the server finishes its in-flight requests and exits.`,
      figures: [
        ['requests sent after the client saw `terminating` that reached the victim', late.length],
        ['in-flight calls on the victim at SIGTERM / completed with 200', `${inFlightAtTerm.length} / ${slowOnVictim.filter((r) => r.status === 200).length}`],
        ['client-visible failures', `${result.failed} of ${result.sent + SLOW_CALLS}`],
        ['SIGTERM → client sees terminating', ms(seenAt - termSentAt)],
        ['last request that reached the victim after SIGTERM (seq) / first seq after terminating seen', `${lastVictimArrival || 'none'} / ${markSeq ?? 'n/a'}`],
        ['victim exit code', String(exitCode)],
      ],
      asserted: [
        'no request issued after the client published the terminating snapshot reached the victim',
        'every call in flight on the victim at SIGTERM completed with 200 from the victim',
        '0 client-visible failures; the victim exits 0 after deregistering',
      ],
    });

    expect(markSeq, 'the client saw the victim terminating').toBeDefined();
    expect(late, `requests sent after terminating was seen (from seq ${markSeq}) that reached the victim`).toEqual([]);
    expect(inFlightAtTerm.length).toBeGreaterThan(0);
    expect(slowOnVictim.length).toBeGreaterThanOrEqual(inFlightAtTerm.length);
    expect(slowResults.every((r) => r.status === 200)).toBe(true);
    expect(result.failed, `failures: ${JSON.stringify(result.failures)} e.g. ${result.examples.join(' | ')}`).toBe(0);
    expect(exitCode).toBe(0);
    expect(victim!.proc.output()).toMatch(/term\n[\s\S]*deregistered\n/);
  });
});
