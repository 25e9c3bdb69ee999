import { seededRandom } from '@wayfinder/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from './lib/backends.js';
import { startBackend } from './lib/backends.js';
import { createChaosClient, failureCauses, type DevRegistry, killAll, startBackends, startDevRegistry } from './lib/fixture.js';
import { ms, quantile, startLoad } from './lib/load.js';
import { recordScenario } from './lib/report.js';
import { CHAOS_SEED, scaled } from './lib/scale.js';

const DURATION_MS = scaled(30_000);
const RATE_PER_SECOND = 150;
const INITIAL_BACKENDS = 4;
const MAX_BACKENDS = 6;
/** Never kill below this many registered, running backends ("at least one stays up", with a margin). */
const MIN_UP = 2;
const CHURN_MIN_MS = 200;
const CHURN_SPREAD_MS = 400;
const TTL_SECONDS = 2;

const backends: Backend[] = [];
let registry: DevRegistry | undefined;

afterAll(async () => {
  await killAll(backends);
  await registry?.stop();
});

describe('churn: backends SIGKILLed and started at random under load', () => {
  it('loses no request (0 client-visible failures) while backends die and join every few hundred ms', async () => {
    registry = await startDevRegistry();
    const options = { registry: registry.url, ttlSeconds: TTL_SECONDS };
    await startBackends(INITIAL_BACKENDS, options, backends);
    const chaos = createChaosClient(registry.target('chaos'));
    await chaos.until((s) => s.endpoints.size === INITIAL_BACKENDS, 'all initial backends seen');

    const random = seededRandom(CHAOS_SEED);
    const load = startLoad({
      send: (seq) => chaos.client.fetch(`http://chaos/work?ms=${Math.floor(random() * 20)}&seq=${seq}`),
      ratePerSecond: RATE_PER_SECOND,
      maxInFlight: 32,
      durationMs: DURATION_MS,
      maxRequests: Math.ceil((DURATION_MS / 1000) * RATE_PER_SECOND),
    });

    let kills = 0;
    let starts = 0;
    let loadDone = false;
    void load.done.then(() => (loadDone = true));
    const churn = (async () => {
      const pending = new Set<Backend>();
      while (!loadDone) {
        await new Promise((r) => setTimeout(r, CHURN_MIN_MS + random() * CHURN_SPREAD_MS));
        if (loadDone) break;
        const up = backends.filter((b) => b.alive && b.id !== '');
        const total = up.length + pending.size;
        const kill = up.length > MIN_UP && (total >= MAX_BACKENDS || random() < 0.5);
        if (kill) {
          const victim = up[Math.floor(random() * up.length)]!;
          backends.splice(backends.indexOf(victim), 1);
          await victim.kill();
          kills++;
        } else if (total < MAX_BACKENDS) {
          const b = startBackend(options);
          backends.push(b);
          pending.add(b);
          starts++;
          void b.ready.finally(() => pending.delete(b)).catch(() => {});
        }
      }
    })();

    const result = await load.done;
    await churn;
    const attempts = chaos.attempts.length;
    const causes = failureCauses(chaos.attempts);
    const failedAttempts = chaos.attempts.filter((a) => !a.outcome.ok).length;
    await chaos.close();

    recordScenario({
      id: 'churn',
      order: 1,
      title: 'Churn: SIGKILL and start under load',
      setup:
        `${INITIAL_BACKENDS} backends at first (at most ${MAX_BACKENDS}), registered in the dev registry with a ${TTL_SECONDS} s TTL. Every ${CHURN_MIN_MS}–${CHURN_MIN_MS + CHURN_SPREAD_MS} ms (seeded) ` +
        `one running backend is SIGKILLed (never below ${MIN_UP} up; it stays registered until its TTL passes) or a new one is started. ` +
        `Load: ${RATE_PER_SECOND} req/s for ${DURATION_MS / 1000} s, at most 32 in flight, \`GET /work\` (0–20 ms of work) through \`client.fetch\` with least request, 3 attempts, default retry budget and quarantine.`,
      figures: [
        ['client-visible failures', `${result.failed} of ${result.sent}`],
        ['backends killed (SIGKILL) / started', `${kills} / ${starts}`],
        ['attempts (incl. retries) / failed attempts', `${attempts} / ${failedAttempts}`],
        ['failed attempts by cause', causes],
        ['latency p50 / p99 / max', `${ms(quantile(result.latenciesMs, 0.5))} / ${ms(quantile(result.latenciesMs, 0.99))} / ${ms(Math.max(...result.latenciesMs))}`],
        ['backends that answered', Object.keys(result.perBackend).length],
      ],
      asserted: ['every request answered 200 (0 client-visible failures)', 'backends were killed and started during the run'],
    });

    expect(result.sent).toBeGreaterThan(0);
    expect(kills).toBeGreaterThan(0);
    expect(starts).toBeGreaterThan(0);
    expect(result.failed, `failures: ${JSON.stringify(result.failures)} e.g. ${result.examples.join(' | ')}`).toBe(0);
    expect(result.ok).toBe(result.sent);
  });
});
