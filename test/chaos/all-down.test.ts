import { isWayfinderError, NoEndpointsError } from '@wayfinder/core';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.js';
import { type Backend, startBackend } from './lib/backends.js';
import { createChaosClient, type DevRegistry, killAll, startBackends, startDevRegistry } from './lib/fixture.js';
import { ms, quantile, startLoad } from './lib/load.js';
import { recordScenario } from './lib/report.js';

const BACKENDS = 3;
const TTL_SECONDS = 5;
const MAX_ATTEMPTS = 3;
const BUDGET = { ratio: 0.1, minPerSecond: 1, ttlMs: 10_000 };
const RESERVE = (BUDGET.minPerSecond * BUDGET.ttlMs) / 1000;
const BURST = { ratePerSecond: 100, durationMs: 1500 };
const TYPED = new Set(['WF_ERR_NO_ENDPOINTS', 'WF_ERR_RETRIES_EXHAUSTED', 'WF_ERR_BUDGET_EXHAUSTED']);

const backends: Backend[] = [];
let registry: DevRegistry | undefined;

afterAll(async () => {
  await killAll(backends);
  await registry?.stop();
});

describe('all backends down', () => {
  it('fails fast with typed errors, caps retries with the budget, and resumes when a backend returns', async () => {
    registry = await startDevRegistry();
    await startBackends(BACKENDS, { registry: registry.url, ttlSeconds: TTL_SECONDS }, backends);
    // No quarantine: every call really tries the dead endpoints, so only the budget limits retries.
    const chaos = createChaosClient(registry.target('chaos'), { quarantineMs: 0, retry: { maxAttempts: MAX_ATTEMPTS, budget: BUDGET } });
    await chaos.until((s) => s.endpoints.size === BACKENDS, 'all backends seen');
    const warm = startLoad({ send: (seq) => chaos.client.fetch(`http://chaos/work?seq=${seq}`), ratePerSecond: 100, maxInFlight: 8, durationMs: 10_000, maxRequests: 20 });
    const warmResult = await warm.done;
    expect(warmResult.ok).toBe(20);

    // 1. Every backend SIGKILLed; still registered (until their TTL passes): every attempt is refused.
    await killAll(backends);
    const attemptsBefore = chaos.attempts.length;
    const burst = await startLoad({
      send: (seq) => chaos.client.fetch(`http://chaos/work?seq=${seq}`),
      maxInFlight: 16,
      maxRequests: (BURST.ratePerSecond * BURST.durationMs) / 1000,
      ...BURST,
    }).done;
    const burstAttempts = chaos.attempts.length - attemptsBefore;
    const burstRetries = burstAttempts - burst.sent;
    // Tokens: the reserve, plus `ratio` per call within the budget's window (warm-up and burst).
    const retryBound = Math.floor(RESERVE + BUDGET.ratio * (warmResult.sent + burst.sent));

    // 2. The registrations expire: the set is empty and calls fail at once without any attempt.
    await chaos.until((s) => s.endpoints.size === 0, 'registrations expired', 30_000);
    const attemptsBeforeEmpty = chaos.attempts.length;
    const emptyErrors: unknown[] = [];
    const emptyLatencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await chaos.client.fetch('http://chaos/work').then(
        () => emptyErrors.push('answered'),
        (error: unknown) => emptyErrors.push(error),
      );
      emptyLatencies.push(performance.now() - t0);
    }
    const emptyAttempts = chaos.attempts.length - attemptsBeforeEmpty;

    // 3. One backend returns: traffic resumes.
    const load = startLoad({ send: (seq) => chaos.client.fetch(`http://chaos/work?seq=${seq}`), ratePerSecond: 200, maxInFlight: 16, durationMs: 60_000, maxRequests: 12_000 });
    const back = startBackend({ registry: registry.url, ttlSeconds: TTL_SECONDS });
    backends.push(back);
    await back.ready;
    await waitFor(() => load.result.ok > 0, { timeoutMs: 30_000, what: 'a successful call after a backend returned' });
    const resumeMs = load.result.firstOkAt! - back.registeredAt;
    const resumed = await load.stop();
    await chaos.close();

    const burstCodes = Object.keys(burst.failures);
    recordScenario({
      id: 'all-down',
      order: 4,
      title: 'All backends down',
      setup:
        `${BACKENDS} backends (dev registry, TTL ${TTL_SECONDS} s), all SIGKILLed. Client: least request, ${MAX_ATTEMPTS} attempts, quarantine off (every call really tries the dead endpoints), ` +
        `retry budget ratio ${BUDGET.ratio} + ${BUDGET.minPerSecond}/s over ${BUDGET.ttlMs / 1000} s (a reserve of ${RESERVE} tokens). ` +
        `Burst of ${burst.sent} calls at ${BURST.ratePerSecond}/s while the dead endpoints are still registered; then 50 calls on the empty set; then one backend returns under 200 req/s.`,
      figures: [
        ['retries during the burst (attempts − calls) / budget bound / without a budget', `${burstRetries} / ${retryBound} / ${burst.sent * (MAX_ATTEMPTS - 1)}`],
        ['burst failures by error', Object.entries(burst.failures).map(([k, v]) => `${k} × ${v}`).join(', ')],
        ['burst calls that failed', `${burst.failed} of ${burst.sent}`],
        ['empty set: attempts made / calls', `${emptyAttempts} / 50`],
        ['empty set: time to fail p50 / max (NoEndpointsError)', `${ms(quantile(emptyLatencies, 0.5))} / ${ms(Math.max(...emptyLatencies))}`],
        ['backend registered (its PUT answered) → first successful call (wall clock, ms resolution)', ms(resumeMs)],
        ['calls while resuming: failed (fast, typed) / answered', `${resumed.failed} / ${resumed.ok}`],
      ],
      asserted: [
        `every burst call failed with a typed error (${[...TYPED].join(', ')})`,
        'retries ≤ the budget bound (reserve + ratio × calls) and fewer than without a budget; some calls ended with BudgetExhaustedError',
        'on the empty set every call failed with NoEndpointsError (reason `empty`) without any attempt',
        'traffic resumed after a backend registered (the time is reported, not asserted)',
      ],
    });

    expect(burst.ok).toBe(0);
    expect(burst.failed).toBe(burst.sent);
    expect(burstCodes.every((c) => TYPED.has(c)), `burst errors: ${JSON.stringify(burst.failures)} e.g. ${burst.examples.join(' | ')}`).toBe(true);
    expect(burstRetries).toBeLessThanOrEqual(retryBound);
    expect(burstRetries).toBeLessThan(burst.sent * (MAX_ATTEMPTS - 1));
    expect(burst.failures.WF_ERR_BUDGET_EXHAUSTED ?? 0).toBeGreaterThan(0);
    expect(emptyAttempts).toBe(0);
    for (const error of emptyErrors) {
      expect(error).toBeInstanceOf(NoEndpointsError);
      expect((error as NoEndpointsError).reason).toBe('empty');
    }
    expect(resumed.ok).toBeGreaterThan(0);
    expect(Object.keys(resumed.failures).every((c) => TYPED.has(c)), JSON.stringify(resumed.failures)).toBe(true);
    expect(isWayfinderError(emptyErrors[0])).toBe(true);
  });
});
