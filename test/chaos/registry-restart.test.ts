import { parseRevision } from '@wayfinder/adapters';
import { afterAll, describe, expect, it } from 'vitest';
import { ETCD_BINARY, type EtcdServer, startEtcd } from '../harness/etcd.js';
import { waitFor } from '../harness/processes.js';
import type { Backend, BackendOptions } from './lib/backends.js';
import { type ChaosClient, createChaosClient, type DevRegistry, ids, killAll, startBackends, startDevRegistry } from './lib/fixture.js';
import { ms, quantile, startLoad } from './lib/load.js';
import { recordScenario } from './lib/report.js';
import { scaled } from './lib/scale.js';

const BACKENDS = 3;
const OUTAGE_MS = scaled(10_000);
const RATE_PER_SECOND = 50;

const backends: Backend[] = [];
let registry: DevRegistry | undefined;
let etcd: EtcdServer | undefined;

afterAll(async () => {
  await killAll(backends);
  await registry?.stop();
  await etcd?.stop();
});

interface Outcome {
  before: string[];
  after: string[];
  staleSeen: boolean;
  resumeMs: number;
  result: Awaited<ReturnType<ReturnType<typeof startLoad>['stop']>>;
  duringOutage: number;
  /** Failed requests sent before the restart (during the outage) and after it. */
  failedBeforeRestart: number;
  failedAfterRestart: number;
  /** Time between the first and last failure after the restart. */
  emptyWindowMs: number;
}

/** Load through a registry outage: kill, wait `OUTAGE_MS`, restart, wait until the set is back. */
async function runOutage(chaos: ChaosClient, kill: () => Promise<void>, start: () => Promise<void>, back: (ids: string[]) => boolean): Promise<Outcome> {
  const before = ids(await chaos.until((s) => s.endpoints.size === BACKENDS && !s.stale, 'all backends seen'));
  const load = startLoad({
    send: (seq) => chaos.client.fetch(`http://chaos/work?ms=2&seq=${seq}`),
    ratePerSecond: RATE_PER_SECOND,
    maxInFlight: 16,
    durationMs: 120_000,
    maxRequests: 100_000,
  });
  await waitFor(() => load.result.ok >= RATE_PER_SECOND, { timeoutMs: 30_000, what: 'a second of load' });
  await kill();
  const okAtKill = load.result.ok;
  const staleSeen = await chaos.until((s) => s.stale, 'stale while the registry is down').then(() => true);
  await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the outage itself (a fault, not a synchronisation)
  const duringOutage = load.result.ok - okAtKill;
  const restartedAt = performance.now();
  await start();
  const state = await chaos.until((s) => !s.stale && back(ids(s)), 'watch resumed with every registration back', 60_000);
  const resumeMs = performance.now() - restartedAt;
  await waitFor(() => load.result.ok >= okAtKill + duringOutage + RATE_PER_SECOND, { timeoutMs: 30_000, what: 'a second of load after the restart' });
  const result = await load.stop();
  const after = result.failedAt.filter((t) => t >= restartedAt);
  return {
    before,
    after: ids(state),
    staleSeen,
    resumeMs,
    result,
    duringOutage,
    failedBeforeRestart: result.failed - after.length,
    failedAfterRestart: after.length,
    emptyWindowMs: after.length > 0 ? Math.max(...after) - Math.min(...after) : 0,
  };
}

function figures(o: Outcome): [string, string | number][] {
  return [
    ['client-visible failures during the outage', `${o.failedBeforeRestart} of ${o.result.sent}`],
    ['client-visible failures after the restart (window)', `${o.failedAfterRestart}${o.failedAfterRestart ? ` (${ms(o.emptyWindowMs)})` : ''}`],
    [`requests answered during the ${OUTAGE_MS / 1000} s outage (last known set)`, o.duringOutage],
    ['registry restarted → watch resumed with every registration back', ms(o.resumeMs)],
    ['latency p50 / p99', `${ms(quantile(o.result.latenciesMs, 0.5))} / ${ms(quantile(o.result.latenciesMs, 0.99))}`],
  ];
}

describe('registry killed for 10 s and restarted, under load', () => {
  it('dev registry: requests keep flowing on the last known set during the outage, the watch resumes, registrations come back', async () => {
    registry = await startDevRegistry();
    const options: BackendOptions = { registry: registry.url, ttlSeconds: 3 };
    await startBackends(BACKENDS, options, backends);
    const chaos = createChaosClient(registry.target('chaos'));
    const epochBefore = parseRevision((await chaos.until((s) => s.endpoints.size === BACKENDS, 'seen')).endpoints.revision)?.epoch;
    const o = await runOutage(chaos, () => registry!.kill(), () => registry!.start(), (now) => now.length === BACKENDS);
    const epochAfter = parseRevision(chaos.resolver.current!.endpoints.revision)?.epoch;
    await chaos.close();
    await killAll(backends);

    recordScenario({
      id: 'registry-restart-dev',
      order: 3,
      title: 'Dev registry killed for 10 s',
      setup: `${BACKENDS} backends registered with a 3 s TTL (renewed every second, retried with backoff while the registry is down); the dev registry (child process) is SIGKILLed for ${OUTAGE_MS / 1000} s and restarted on the same port with empty state; ${RATE_PER_SECOND} req/s through \`client.fetch\` the whole time.`,
      figures: [
        ...figures(o),
        ['registry epoch before → after', `${epochBefore} → ${epochAfter}`],
        [
          'restart grace (protocol §2.3)',
          'the restarted registry answers the reconnecting client, which still holds a revision of the old epoch, with 503 `recovering` for 5 s, so the client keeps its last good set until the backends have re-registered',
        ],
      ],
      asserted: [
        '0 client-visible failures during the outage; requests answered on the last known set',
        '0 client-visible failures after the restart either: the client never applies the restarted registry\'s half-empty state (restart grace)',
        'the client marked its set stale during the outage and kept it',
        'after the restart the watch resumed with the same endpoints, re-registered by the backends',
      ],
    });

    expect(o.staleSeen).toBe(true);
    expect(o.duringOutage).toBeGreaterThan(0);
    expect(o.after).toEqual(o.before);
    expect(o.failedBeforeRestart, `failures: ${JSON.stringify(o.result.failures)} e.g. ${o.result.examples.join(' | ')}`).toBe(0);
    // The restart grace keeps the client on its last good set until the registrants are back.
    expect(o.result.failures, `e.g. ${o.result.examples.join(' | ')}`).toEqual({});
  });

  it.skipIf(ETCD_BINARY === undefined)('etcd: requests keep flowing on the last known set, the watch resumes, registrations come back', async () => {
    etcd = await startEtcd();
    const prefix = 'services/chaos/';
    await startBackends(BACKENDS, { etcd: etcd.url, prefix, ttlSeconds: 5 }, backends);
    const chaos = createChaosClient(`etcd://${etcd.hostPort}/${prefix}`);
    const o = await runOutage(chaos, () => etcd!.kill(), () => etcd!.restart(), (now) => now.length === BACKENDS);
    await chaos.close();
    const keys = [...(await etcd.getPrefix(prefix)).keys()].sort();
    await killAll(backends);

    recordScenario({
      id: 'registry-restart-etcd',
      order: 3.5,
      title: 'etcd killed for 10 s',
      setup: `${BACKENDS} backends registered in etcd 3.4 with 5 s leases (\`register({ etcd, prefix })\`, keep-alive every third of the TTL); etcd is SIGKILLed for ${OUTAGE_MS / 1000} s and restarted with its data directory; ${RATE_PER_SECOND} req/s through \`client.fetch\` the whole time.`,
      figures: [...figures(o), ['keys under the prefix after the restart', keys.length]],
      asserted: ['0 client-visible failures; requests answered during the outage', 'the client marked its set stale during the outage and kept it', 'after the restart the watch resumed with the same endpoints'],
    });

    expect(o.staleSeen).toBe(true);
    expect(o.duringOutage).toBeGreaterThan(0);
    expect(o.after).toEqual(o.before);
    expect(keys).toHaveLength(BACKENDS);
    expect(o.result.failed, `failures: ${JSON.stringify(o.result.failures)} e.g. ${o.result.examples.join(' | ')}`).toBe(0);
  });
});
