import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreSchemes, createResolver, createSource, type Resolver, ResolveTimeoutError, type SchemeMap, systemClock } from '@wayfinder/core';
import { createDnsSchemes, DnsQueryError, type DnsTransport, socketTransport } from '@wayfinder/adapters';
import { bindBinaries, type BindServer, startBind } from '../harness/bind.js';
import { until } from '../harness/source-contract.js';

const BIND = bindBinaries();
const FAST_BACKOFF = { initialMs: 100, maxMs: 400 };
const context = () => ({ signal: new AbortController().signal, clock: systemClock, random: Math.random });

/** The real UDP/TCP transport, counting what goes over it (to see which path a list took). */
function countingTransport(): DnsTransport & { questions: string[] } {
  const questions: string[] = [];
  return {
    questions,
    exchange(ex) {
      questions.push(ex.protocol);
      return socketTransport.exchange(ex);
    },
  };
}

const schemesWith = (transport?: DnsTransport): SchemeMap => ({ ...coreSchemes, ...createDnsSchemes(transport ? { transport } : {}) });
const portsAndWeights = (r: Resolver) => r.current!.endpoints.endpoints.map((e) => `${e.id} p${e.priority} w${e.weight} ${e.hostname}`);

describe.skipIf(BIND === undefined)('DNS sources against BIND 9', () => {
  let bind: BindServer;
  const resolvers: Resolver[] = [];
  const watch = (target: string, schemes = schemesWith()) => {
    const resolver = createResolver({ target, schemes, backoff: FAST_BACKOFF });
    resolvers.push(resolver);
    return resolver;
  };

  beforeAll(async () => {
    bind = await startBind({
      records: [
        'a IN A 10.0.0.1',
        'b IN A 10.0.0.2',
        'b IN A 10.0.0.3',
        'b IN AAAA fd00::3',
        'c IN A 10.0.0.4',
        '_http._tcp.groups IN SRV 10 60 8080 a',
        '_http._tcp.groups IN SRV 10 30 8080 b',
        '_http._tcp.groups IN SRV 20 0 9090 c',
        '_http._tcp.off IN SRV 0 0 0 .',
        'web IN A 10.0.1.1',
        'web IN A 10.0.1.2',
        'web IN AAAA fd00::1:1',
        // Enough records that the answer exceeds the 1232-byte EDNS payload: BIND sets TC.
        ...Array.from({ length: 90 }, (_, i) => `_http._tcp.many IN SRV 0 1 ${10_000 + i} many-${i}`),
        ...Array.from({ length: 90 }, (_, i) => `many-${i} IN A 10.1.${i >> 8}.${i & 255}`),
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(resolvers.map((r) => r.close()));
    await bind?.close();
  });

  it('gives endpoints the SRV priority groups, shares each target weight among its addresses, and names the target', async () => {
    const resolver = watch(`dns-srv://${bind.server}/_http._tcp.groups.svc.test`);
    await resolver.ready({ timeoutMs: 20_000 });
    expect(portsAndWeights(resolver)).toEqual([
      '10.0.0.1:8080 p10 w60 a.svc.test',
      '10.0.0.2:8080 p10 w10 b.svc.test',
      '10.0.0.3:8080 p10 w10 b.svc.test',
      '10.0.0.4:9090 p20 w0 c.svc.test',
      '[fd00::3]:8080 p10 w10 b.svc.test',
    ]);
  });

  it('uses the additional section when BIND sends it: one query for the whole list', async () => {
    const transport = countingTransport();
    const listed = await createSource(`dns-srv://${bind.server}/_http._tcp.groups.svc.test`, { schemes: schemesWith(transport) }).list(context());
    expect(listed.endpoints).toHaveLength(5);
    expect(transport.questions).toEqual(['udp']);
  });

  it('looks addresses up when the server sends no additional section (minimal-responses)', async () => {
    const minimal = await startBind({ minimalResponses: true, records: ['a IN A 10.0.0.1', 'b IN AAAA fd00::2', '_http._tcp.x IN SRV 0 5 80 a', '_http._tcp.x IN SRV 0 5 81 b'] });
    try {
      const transport = countingTransport();
      const listed = await createSource(`dns-srv://${minimal.server}/_http._tcp.x.svc.test`, { schemes: schemesWith(transport) }).list(context());
      expect(listed.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:80', '[fd00::2]:81']);
      expect(transport.questions).toHaveLength(5); // SRV, then A and AAAA for each of the two targets
    } finally {
      await minimal.close();
    }
  });

  it('falls back to TCP when the UDP answer is truncated, and lists every record', async () => {
    const transport = countingTransport();
    const listed = await createSource(`dns-srv://${bind.server}/_http._tcp.many.svc.test`, { schemes: schemesWith(transport) }).list(context());
    expect(listed.endpoints).toHaveLength(90);
    expect(transport.questions.slice(0, 2)).toEqual(['udp', 'tcp']);
  });

  it('reads A and AAAA records for dns:// (a headless service), one endpoint per address', async () => {
    const resolver = watch(`dns://${bind.server}/web.svc.test:8080`);
    const state = await resolver.ready({ timeoutMs: 20_000 });
    expect(state.endpoints.endpoints.map((e) => `${e.id} ${e.hostname}`)).toEqual(['10.0.1.1:8080 web.svc.test', '10.0.1.2:8080 web.svc.test', '[fd00::1:1]:8080 web.svc.test']);
  });

  it('asks to refresh after the record TTL', async () => {
    const listed = await createSource(`dns-srv://${bind.server}/_http._tcp.groups.svc.test`, { schemes: schemesWith() }).list(context());
    expect(listed.refreshAfterMs).toBe(2000); // $TTL 2 in the zone
  });

  it('shows nsupdate additions, weight changes and removals to a running resolver (TTL 1 s)', async () => {
    const name = '_http._tcp.live.svc.test.';
    await bind.update(`update add ${name} 1 SRV 10 50 8080 a.svc.test.`);
    const resolver = watch(`dns-srv://${bind.server}/${name}`);
    await resolver.ready({ timeoutMs: 20_000 });
    expect(portsAndWeights(resolver)).toEqual(['10.0.0.1:8080 p10 w50 a.svc.test']);

    await bind.update(`update add ${name} 1 SRV 10 50 8080 c.svc.test.`);
    await until(resolver, (s) => s.endpoints.has('10.0.0.4:8080'), 15_000);

    await bind.update(`update delete ${name} SRV 10 50 8080 a.svc.test.`, `update add ${name} 1 SRV 5 70 8080 a.svc.test.`);
    await until(resolver, (s) => s.endpoints.get('10.0.0.1:8080')?.priority === 5, 15_000);
    expect(resolver.current!.endpoints.get('10.0.0.1:8080')!.weight).toBe(70);

    await bind.update(`update delete ${name} SRV 10 50 8080 c.svc.test.`);
    await until(resolver, (s) => !s.endpoints.has('10.0.0.4:8080'), 15_000);
    expect(resolver.current!.stale).toBe(false);
  });

  it('gives an empty, healthy snapshot for NXDOMAIN and for a lone "." target', async () => {
    for (const name of ['_http._tcp.nobody.svc.test', '_http._tcp.off.svc.test']) {
      const state = await watch(`dns-srv://${bind.server}/${name}`).ready({ timeoutMs: 20_000 });
      expect(state.endpoints.size).toBe(0);
      expect(state.stale).toBe(false);
      expect(state.error).toBeNull();
    }
  });

  it('treats REFUSED and SERVFAIL as errors, never as an empty set', async () => {
    for (const [zone, failure] of [['refused.test', 'refused'], ['broken.test', 'servfail']] as const) {
      const resolver = watch(`dns-srv://${bind.server}/_http._tcp.${zone}`);
      const error = await resolver.ready({ timeoutMs: 3000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResolveTimeoutError);
      expect((error as ResolveTimeoutError).cause).toBeInstanceOf(DnsQueryError);
      expect((error as ResolveTimeoutError).cause).toMatchObject({ failure });
      expect(resolver.current).toBeUndefined();
    }
  });

  it('times out a server that never answers with a DnsQueryError', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address();
      const source = createSource(`dns-srv://127.0.0.1:${port}/_http._tcp.groups.svc.test?timeoutMs=300`, { schemes: schemesWith() });
      await expect(source.list(context())).rejects.toMatchObject({ name: 'DnsQueryError', failure: 'timeout' });
    } finally {
      silent.close();
    }
  });
});

describe.skipIf(BIND === undefined)('DNS sources when BIND fails after a good answer', () => {
  let bind: BindServer;
  beforeAll(async () => {
    bind = await startBind({ records: ['a IN A 10.0.0.1', '_http._tcp.planner 1 IN SRV 0 1 8080 a'] });
  });
  afterAll(async () => {
    await bind?.close();
  });

  it('keeps the last good set, marked stale, while the zone is REFUSED, then recovers', async () => {
    const resolver = createResolver({ target: `dns-srv://${bind.server}/_http._tcp.planner.svc.test`, schemes: schemesWith(), backoff: FAST_BACKOFF });
    try {
      await resolver.ready({ timeoutMs: 20_000 });
      await bind.restart({ refuseZone: true });
      const stale = await until(resolver, (s) => s.stale, 20_000);
      expect(stale.endpoints.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:8080']);
      expect(stale.error).toBeInstanceOf(DnsQueryError);
      expect(stale.error).toMatchObject({ failure: 'refused' });
      await bind.restart();
      const fresh = await until(resolver, (s) => !s.stale, 20_000);
      expect(fresh.endpoints.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:8080']);
    } finally {
      await resolver.close();
    }
  });

  it('keeps the last good set, marked stale, while the server is stopped, then recovers', async () => {
    const resolver = createResolver({ target: `dns-srv://${bind.server}/_http._tcp.planner.svc.test?timeoutMs=500`, schemes: schemesWith(), backoff: FAST_BACKOFF });
    try {
      await resolver.ready({ timeoutMs: 20_000 });
      await bind.stop();
      const stale = await until(resolver, (s) => s.stale, 20_000);
      expect(stale.endpoints.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:8080']);
      // A stopped server on loopback answers UDP with ICMP port unreachable (network) or not at all (timeout).
      expect(['timeout', 'network']).toContain((stale.error as DnsQueryError).failure);
      await bind.restart();
      await until(resolver, (s) => !s.stale, 20_000);
    } finally {
      await resolver.close();
    }
  });
});
