import { adapterSchemes, register, registerEtcd } from '@wayfinder/adapters';
import { coreSchemes, createResolver, type ResolverState } from '@wayfinder/core';
import type { RegistrationEvent } from '../../packages/adapters/src/registration.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETCD_BINARY, type EtcdServer, startEtcd } from '../harness/etcd.js';
import { waitFor } from '../harness/processes.js';
import { until } from '../harness/source-contract.js';

const schemes = { ...coreSchemes, ...adapterSchemes };

describe.skipIf(ETCD_BINARY === undefined)('registerEtcd against etcd 3.4', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('registers with a lease, keeps it alive past its TTL, re-registers after losing it, and drains on close', async () => {
    const prefix = 'services/planner/';
    const events: RegistrationEvent['type'][] = [];
    const registration = registerEtcd({ etcd: etcd.url, prefix, endpoint: { address: '127.0.0.1', port: 8080, zone: 'z1' }, ttlSeconds: 2, drainMs: 300 });
    registration.subscribe((event) => events.push(event.type));
    const resolver = createResolver({ target: `etcd://${etcd.hostPort}/${prefix}`, schemes, backoff: { initialMs: 50, maxMs: 400 } });
    const seen: ResolverState[] = [];
    try {
      await registration.ready({ timeoutMs: 20_000 });
      expect(registration.state).toBe('registered');
      expect(registration.id).toBe(`${prefix}127.0.0.1:8080`);
      const stored = (await etcd.getPrefix(prefix)).get(registration.id)!;
      expect(stored.lease).toMatch(/^\d+$/);
      expect(JSON.parse(stored.value)).toMatchObject({ address: '127.0.0.1', port: 8080, zone: 'z1', terminating: false });
      await resolver.ready({ timeoutMs: 20_000 });
      resolver.subscribe((s) => seen.push(s));
      await until(resolver, (s) => s.endpoints.endpoints.some((e) => e.id === registration.id && e.ready));

      // Kept alive: the key outlives several TTLs (bounded wait on wall time for 3 TTLs).
      const firstLease = stored.lease!;
      const until3Ttl = Date.now() + 6_500;
      await waitFor(() => Date.now() > until3Ttl, { timeoutMs: 10_000, what: 'three TTLs' });
      expect((await etcd.getPrefix(prefix)).get(registration.id)?.lease).toBe(firstLease);

      // Lost: revoking the lease deletes the key; the next keep-alive sees it and registers again.
      await etcd.revokeLease(firstLease);
      await waitFor(async () => {
        const lease = (await etcd.getPrefix(prefix)).get(registration.id)?.lease;
        return lease !== undefined && lease !== firstLease;
      }, { timeoutMs: 20_000, what: 're-registration with a new lease' });
      expect(events.filter((e) => e === 'registered')).toHaveLength(2);
      expect(registration.state).toBe('registered');
      await until(resolver, (s) => s.endpoints.endpoints.some((e) => e.id === registration.id));

      // Close: terminating first (seen by the watching resolver), then gone.
      const closing = registration.close();
      await until(resolver, (s) => s.endpoints.endpoints.some((e) => e.id === registration.id && e.terminating && !e.ready));
      await closing;
      await until(resolver, (s) => !s.endpoints.endpoints.some((e) => e.id === registration.id));
      expect(registration.state).toBe('closed');
      expect(events.slice(-2)).toEqual(['terminating', 'deregistered']);
      expect((await etcd.getPrefix(prefix)).size).toBe(0);
      const last = seen.findLastIndex((s) => s.endpoints.endpoints.some((e) => e.terminating));
      expect(last).toBeGreaterThanOrEqual(0);
      expect(seen.slice(last + 1).every((s) => s.endpoints.size === 0)).toBe(true);
    } finally {
      await registration.close({ drainMs: 0 });
      await resolver.close();
    }
  });

  it('is what register() returns for options with an "etcd" key', async () => {
    const registration = register({ etcd: [etcd.hostPort], prefix: 'services/dispatch/', endpoint: { address: '127.0.0.1', port: 9000 }, ttlSeconds: 5, drainMs: 0 });
    try {
      await registration.ready({ timeoutMs: 20_000 });
      expect(registration.target).toBe(`etcd://${etcd.hostPort}/services/dispatch/`);
      expect([...(await etcd.getPrefix('services/dispatch/')).keys()]).toEqual(['services/dispatch/127.0.0.1:9000']);
    } finally {
      await registration.close();
    }
    expect((await etcd.getPrefix('services/dispatch/')).size).toBe(0);
  });

  it('rejects bad options at construction, naming the option', () => {
    expect(() => registerEtcd({ etcd: etcd.url, prefix: '', endpoint: { address: '127.0.0.1', port: 1 } })).toThrow(/option "prefix"/);
    expect(() => registerEtcd({ etcd: etcd.url, prefix: 'p/', endpoint: { address: '127.0.0.1', port: 1 }, ttlSeconds: 0 })).toThrow(/option "ttlSeconds"/);
  });

  it('fails ready() with the last error when no member answers, and closes cleanly', async () => {
    const { freePort } = await import('../harness/ports.js');
    const registration = registerEtcd({ etcd: `127.0.0.1:${await freePort()}`, prefix: 'p/', endpoint: { address: '127.0.0.1', port: 1 }, ttlSeconds: 3 });
    await expect(registration.ready({ timeoutMs: 1_500 })).rejects.toThrow(/not registered within 1500 ms.*ECONNREFUSED/);
    expect(registration.lastError?.message).toContain('ECONNREFUSED');
    await registration.close();
    expect(registration.state).toBe('closed');
  });
});
