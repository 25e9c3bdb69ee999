import { createRegistryServer } from '@wayfinder/adapters';
import type { ResolverState } from '@wayfinder/core';
import { type DemoBackend, startBackend } from './backend.js';
import { type ClientHalfOptions, runClientHalf, type ScheduledEvent } from './client-half.js';
import type { EventRecord } from './summary.js';

/** The client half's options, less what the scenario supplies itself (target, path, events). */
export type ScenarioOptions = Pick<ClientHalfOptions, 'durationMs' | 'ratePerSecond' | 'policy' | 'stats' | 'tty' | 'write' | 'signal'>;

const SERVICE = 'agents';
/** Short so the killed backend's registration expires well within the demo. */
const BACKEND_TTL_SECONDS = 2;
const WORK_MS = 4;
const SLOW_MS = 250;
const MAX_DRAIN_MS = 1500;
/** When each event happens, as a fraction of the duration. */
const AT = { kill: 0.35, drain: 0.5, slow: 0.62, join: 0.75 } as const;

/**
 * The embedded demo: a dev registry and 4 backends on 127.0.0.1, the client half against
 * `registry+http://127.0.0.1:<port>/agents`, and halfway one backend killed, one drained, one
 * made slow and a new one joining. Returns what happened to each event.
 */
export async function runScenario(options: ScenarioOptions): Promise<{ target: string; events: EventRecord[] }> {
  const { stats, durationMs } = options;
  const registry = createRegistryServer({ host: '127.0.0.1', port: 0 });
  await registry.listen();
  const backends: DemoBackend[] = [];
  const notes = new Map<string, string>();
  const events: EventRecord[] = [];
  const target = `registry+${registry.url}/${SERVICE}`;
  try {
    const start = (name: string) => startBackend({ name, registryUrl: registry.url, service: SERVICE, ttlSeconds: BACKEND_TTL_SECONDS, workMs: WORK_MS });
    backends.push(...(await Promise.all(['a', 'b', 'c', 'd'].map(start))));
    const [, victim, drained, slow] = backends as [DemoBackend, DemoBackend, DemoBackend, DemoBackend];
    const drainMs = Math.min(MAX_DRAIN_MS, Math.round(durationMs * 0.1));

    const record = (kind: EventRecord['kind'], backend: string, id: string, description: string): EventRecord => {
      const event: EventRecord = { kind, backend, id, atMs: stats.now(), description, observed: {}, done: false };
      events.push(event);
      return event;
    };
    const byKind = (kind: EventRecord['kind']) => events.find((e) => e.kind === kind);
    const onSnapshot = (state: ResolverState) => {
      const t = stats.now();
      const kill = byKind('kill');
      if (kill && !kill.done && !state.endpoints.get(kill.id)) {
        Object.assign(kill.observed, { removedAfterMs: Math.round(t - kill.atMs) });
        kill.done = true;
      }
      const drain = byKind('drain');
      if (drain) {
        const e = state.endpoints.get(drain.id);
        if (e?.terminating && drain.observed['terminatingAfterMs'] === undefined) drain.observed['terminatingAfterMs'] = Math.round(t - drain.atMs);
        if (!e && drain.observed['goneAfterMs'] === undefined) drain.observed['goneAfterMs'] = Math.round(t - drain.atMs);
        drain.done = drainDone(drain);
      }
      const join = byKind('join');
      if (join && !join.done && state.endpoints.get(join.id)) {
        join.observed['listedAfterMs'] = Math.round(t - join.atMs);
        join.done = true;
      }
    };

    const scheduled: ScheduledEvent[] = [
      {
        atMs: durationMs * AT.kill,
        run(view) {
          const event = record('kill', victim.name, victim.id, 'killed: sockets destroyed, not deregistered (left to expire)');
          victim.kill();
          notes.set(victim.id, 'killed');
          view.log(`>> ${fmtS(event.atMs)} kill ${victim.name} (${victim.id}): server and sockets destroyed, registration left to expire (TTL ${BACKEND_TTL_SECONDS} s)`);
        },
      },
      {
        atMs: durationMs * AT.drain,
        async run(view) {
          const event = record('drain', drained.name, drained.id, `drained: terminating for ${drainMs} ms, then deregistered`);
          notes.set(drained.id, 'draining');
          view.log(`>> ${fmtS(event.atMs)} drain ${drained.name} (${drained.id}): marked terminating, deregistered after ${drainMs} ms, in-flight calls complete`);
          const { completedDuringDrain } = await drained.drain(drainMs);
          event.observed['completedDuringDrain'] = completedDuringDrain;
          event.observed['cut'] = drained.cut;
          event.done = drainDone(event);
          view.log(`>> ${fmtS(stats.now())} ${drained.name} drained: ${completedDuringDrain} requests completed after the drain began, ${drained.cut} cut`);
        },
      },
      {
        atMs: durationMs * AT.slow,
        run(view) {
          const event = record('slow', slow.name, slow.id, `made slow: +${SLOW_MS} ms per request`);
          slow.slowDown(SLOW_MS);
          notes.set(slow.id, 'slow');
          event.observed['delayMs'] = SLOW_MS;
          event.done = true;
          view.log(`>> ${fmtS(event.atMs)} slow ${slow.name} (${slow.id}): every response now takes ${SLOW_MS} ms`);
        },
      },
      {
        atMs: durationMs * AT.join,
        async run(view) {
          const joined = await start('e');
          backends.push(joined);
          const event = record('join', joined.name, joined.id, 'joined: a new backend registered itself');
          const listed = joined.id;
          // The snapshot may have arrived before the record existed.
          if (lastState?.endpoints.get(listed)) onSnapshot(lastState);
          view.log(`>> ${fmtS(event.atMs)} join ${joined.name} (${joined.id}): a new backend registered itself`);
        },
      },
    ];

    let lastState: ResolverState | undefined;
    await runClientHalf({
      target,
      path: '/work',
      durationMs,
      ratePerSecond: options.ratePerSecond,
      policy: options.policy,
      stats,
      tty: options.tty,
      write: options.write,
      signal: options.signal,
      notes,
      events: scheduled,
      expectEndpoints: 4,
      onSnapshot: (state) => {
        lastState = state;
        onSnapshot(state);
      },
    });
    const kill = byKind('kill');
    if (kill) kill.observed['cutRequests'] = victim.cut;
    return { target, events };
  } finally {
    await Promise.all(backends.map((b) => b.close()));
    await registry.close();
  }
}

const drainDone = (e: EventRecord) =>
  e.observed['terminatingAfterMs'] !== undefined && e.observed['goneAfterMs'] !== undefined && e.observed['completedDuringDrain'] !== undefined;

export const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
