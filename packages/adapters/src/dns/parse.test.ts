import { describe, expect, it } from 'vitest';
import { a, aaaa, response, soa, srv } from '../../../../test/dns/fake-dns.js';
import { decodeResponse, MalformedAnswerError } from './message.js';
import { negativeTtl, readAddresses, readSrvRecords, refreshDelayMs, srvEndpoints, type SrvRecord } from './parse.js';

const NAME = '_http._tcp.planner.svc.test';
const decoded = (parts: Parameters<typeof response>[2], type: 'SRV' | 'A' | 'AAAA' = 'SRV', name = NAME) =>
  decodeResponse(response({ name, type, class: 'IN' }, 1, parts), { id: 1, name, type });
const rec = (priority: number, weight: number, port: number, target: string): SrvRecord => ({ priority, weight, port, target, ttl: 30 });

describe('readSrvRecords', () => {
  it('reads the records in a stable order whatever order the server used, with the smallest TTL', () => {
    const answers = [srv(NAME, 20, 5, 81, 'c.svc.test.', 9), srv(NAME, 10, 50, 80, 'b.svc.test.', 4), srv(NAME, 10, 10, 80, 'a.svc.test.', 7)];
    const forward = readSrvRecords(decoded({ answers }), NAME);
    const reversed = readSrvRecords(decoded({ answers: [...answers].reverse() }), NAME);
    expect(forward).toEqual(reversed);
    expect(forward.ttl).toBe(4);
    expect(forward.records.map((r) => `${r.priority}/${r.weight} ${r.target}:${r.port}`)).toEqual(['10/10 a.svc.test:80', '10/50 b.svc.test:80', '20/5 c.svc.test:81']);
  });

  it('keeps a "." target as the empty name (service decidedly not available)', () => {
    expect(readSrvRecords(decoded({ answers: [srv(NAME, 0, 0, 0, '.')] }), NAME).records).toEqual([{ priority: 0, weight: 0, port: 0, target: '', ttl: 30 }]);
  });

  it('rejects a record with port 0 and a real target as malformed', () => {
    expect(() => readSrvRecords(decoded({ answers: [srv(NAME, 0, 0, 0, 'a.svc.test')] }), NAME)).toThrow(MalformedAnswerError);
  });

  it('ignores records for other names', () => {
    expect(readSrvRecords(decoded({ answers: [srv('_x._tcp.other.test', 1, 1, 80, 'a.test')] }), NAME).records).toEqual([]);
  });
});

describe('readAddresses', () => {
  it('collects A and AAAA records of a name, sorted, with the smallest TTL', () => {
    const found = readAddresses([a('a.svc.test', '10.0.0.2', 5), aaaa('a.svc.test', 'fd00::1', 3), a('a.svc.test', '10.0.0.1', 8), a('ns.svc.test', '127.0.0.1', 1)], 'a.svc.test');
    expect(found).toEqual({ addresses: ['10.0.0.1', '10.0.0.2', 'fd00::1'], ttl: 3 });
  });

  it('follows a CNAME chain and counts its TTL', () => {
    const records = [
      { type: 'CNAME' as const, name: 'www.svc.test', ttl: 2, class: 'IN' as const, data: 'web.svc.test' },
      a('web.svc.test', '10.0.0.9', 60),
    ];
    expect(readAddresses(records, 'WWW.svc.test.')).toEqual({ addresses: ['10.0.0.9'], ttl: 2 });
  });

  it('gives no addresses and no TTL when the name has none', () => {
    expect(readAddresses([a('other.svc.test', '10.0.0.1')], 'a.svc.test')).toEqual({ addresses: [], ttl: undefined });
  });
});

describe('negativeTtl', () => {
  it('is the smaller of the SOA TTL and its MINIMUM field (RFC 2308)', () => {
    expect(negativeTtl(decoded({ rcode: 3, authorities: [soa('svc.test', 30, 2)] }))).toBe(2);
    expect(negativeTtl(decoded({ rcode: 3, authorities: [soa('svc.test', 4, 60)] }))).toBe(4);
    expect(negativeTtl(decoded({ rcode: 3 }))).toBeUndefined();
  });
});

describe('srvEndpoints', () => {
  const addresses: Record<string, string[]> = { 'a.svc.test': ['10.0.0.1'], 'b.svc.test': ['10.0.0.2', '10.0.0.3', 'fd00::3'], 'c.svc.test': ['10.0.0.4'] };
  const of = (t: string) => addresses[t] ?? [];

  it('makes one endpoint per address with the priority, the target as hostname and address:port ids', () => {
    const endpoints = srvEndpoints([rec(10, 60, 8080, 'a.svc.test'), rec(20, 5, 9090, 'c.svc.test')], of);
    expect(endpoints.map((e) => [e.id, e.hostname, e.priority, e.weight])).toEqual([
      ['10.0.0.1:8080', 'a.svc.test', 10, 60],
      ['10.0.0.4:9090', 'c.svc.test', 20, 5],
    ]);
  });

  it('shares a target weight equally among its addresses so the target keeps its RFC 2782 share', () => {
    const endpoints = srvEndpoints([rec(10, 60, 80, 'a.svc.test'), rec(10, 30, 80, 'b.svc.test')], of);
    const byTarget = (t: string) => endpoints.filter((e) => e.hostname === t).reduce((sum, e) => sum + e.weight, 0);
    expect(byTarget('a.svc.test')).toBe(60);
    expect(byTarget('b.svc.test')).toBeCloseTo(30, 9);
    expect(endpoints.filter((e) => e.hostname === 'b.svc.test').map((e) => e.weight)).toEqual([10, 10, 10]);
    expect(endpoints.find((e) => e.address === 'fd00::3')!.id).toBe('[fd00::3]:80');
  });

  it('skips "." targets and targets without addresses', () => {
    expect(srvEndpoints([rec(0, 0, 0, '')], of)).toEqual([]);
    expect(srvEndpoints([rec(0, 1, 80, 'gone.svc.test'), rec(0, 1, 80, 'a.svc.test')], of).map((e) => e.id)).toEqual(['10.0.0.1:80']);
  });

  it('merges an address reached twice into one endpoint at the lowest priority', () => {
    const twice = (t: string) => (t === 'x.svc.test' || t === 'y.svc.test' ? ['10.0.0.7'] : []);
    expect(srvEndpoints([rec(10, 5, 80, 'x.svc.test'), rec(10, 7, 80, 'y.svc.test')], twice).map((e) => [e.priority, e.weight])).toEqual([[10, 12]]);
    expect(srvEndpoints([rec(10, 5, 80, 'x.svc.test'), rec(20, 7, 80, 'y.svc.test')], twice).map((e) => [e.priority, e.weight])).toEqual([[10, 5]]);
  });
});

describe('refreshDelayMs', () => {
  const bounds = { minMs: 1000, maxMs: 30_000, fallbackMs: 5000 };
  it('is the TTL clamped to the bounds, or the fallback without a TTL', () => {
    expect(refreshDelayMs(2, bounds)).toBe(2000);
    expect(refreshDelayMs(0, bounds)).toBe(1000);
    expect(refreshDelayMs(3600, bounds)).toBe(30_000);
    expect(refreshDelayMs(undefined, bounds)).toBe(5000);
  });
});
