import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, seededRandom, type SourceContext, systemClock } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import { a, aaaa, fakeTransport, response, soa, srv } from '../../../../test/dns/fake-dns.js';
import { DnsQueryError } from './errors.js';
import { dnsAddress, dnsSrv } from './source.js';
import type { DnsTransport } from './transport.js';

const NAME = '_http._tcp.planner.svc.test';
const SERVER = { address: '127.0.0.1', port: 5300 };
const context = (overrides: Partial<SourceContext> = {}): SourceContext => ({ signal: new AbortController().signal, clock: systemClock, random: seededRandom(1), ...overrides });
const ids = (list: { endpoints: readonly { id: string }[] }) => list.endpoints.map((e) => e.id);

describe('dnsSrv', () => {
  it('uses addresses from the additional section without further queries', async () => {
    const transport = fakeTransport({
      [`${NAME} SRV`]: { answers: [srv(NAME, 10, 60, 8080, 'a.svc.test'), srv(NAME, 20, 5, 9090, 'b.svc.test')], additionals: [a('a.svc.test', '10.0.0.1'), aaaa('b.svc.test', 'fd00::2')] },
    });
    const listed = await dnsSrv({ name: NAME, server: SERVER, transport }).list(context());
    expect(listed.endpoints.map((e) => [e.id, e.priority, e.weight, e.hostname])).toEqual([
      ['10.0.0.1:8080', 10, 60, 'a.svc.test'],
      ['[fd00::2]:9090', 20, 5, 'b.svc.test'],
    ]);
    expect(transport.questions()).toEqual([`${NAME} SRV udp`]);
  });

  it('looks up A and AAAA records for targets missing from the additional section', async () => {
    const transport = fakeTransport({
      [`${NAME} SRV`]: { answers: [srv(NAME, 10, 30, 80, 'a.svc.test'), srv(NAME, 10, 30, 80, 'b.svc.test')], additionals: [a('a.svc.test', '10.0.0.1')] },
      'b.svc.test A': { answers: [a('b.svc.test', '10.0.0.2'), a('b.svc.test', '10.0.0.3')] },
      'b.svc.test AAAA': { answers: [] },
    });
    const listed = await dnsSrv({ name: NAME, server: SERVER, transport }).list(context());
    expect(listed.endpoints.map((e) => [e.id, e.weight])).toEqual([
      ['10.0.0.1:80', 30],
      ['10.0.0.2:80', 15],
      ['10.0.0.3:80', 15],
    ]);
    expect(transport.questions().sort()).toEqual([`${NAME} SRV udp`, 'b.svc.test A udp', 'b.svc.test AAAA udp']);
  });

  it('asks to re-read after the smallest SRV or address TTL, within the refresh bounds', async () => {
    const table = (srvTtl: number, addressTtl: number) =>
      fakeTransport({ [`${NAME} SRV`]: { answers: [srv(NAME, 0, 1, 80, 'a.svc.test', srvTtl)], additionals: [a('a.svc.test', '10.0.0.1', addressTtl)] } });
    expect((await dnsSrv({ name: NAME, server: SERVER, transport: table(30, 4) }).list(context())).refreshAfterMs).toBe(4000);
    expect((await dnsSrv({ name: NAME, server: SERVER, transport: table(3, 40) }).list(context())).refreshAfterMs).toBe(3000);
    expect((await dnsSrv({ name: NAME, server: SERVER, transport: table(0, 0) }).list(context())).refreshAfterMs).toBe(1000);
    expect((await dnsSrv({ name: NAME, server: SERVER, transport: table(86_400, 86_400) }).list(context())).refreshAfterMs).toBe(30_000);
    expect((await dnsSrv({ name: NAME, server: SERVER, transport: table(30, 30), minRefreshMs: 100, maxRefreshMs: 10_000 }).list(context())).refreshAfterMs).toBe(10_000);
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    const answers = Array.from({ length: 3 }, (_, i) => srv(NAME, 0, 1, 80, `h${i}.svc.test`));
    const additionals = answers.map((_, i) => a(`h${i}.svc.test`, `10.0.1.${i}`));
    const transport = fakeTransport({ [`${NAME} SRV`]: { answers, additionals, truncatedOverUdp: true } });
    const listed = await dnsSrv({ name: NAME, server: SERVER, transport }).list(context());
    expect(ids(listed)).toEqual(['10.0.1.0:80', '10.0.1.1:80', '10.0.1.2:80']);
    expect(transport.questions()).toEqual([`${NAME} SRV udp`, `${NAME} SRV tcp`]);
  });

  it('gives an empty set for NXDOMAIN, re-read after the negative TTL', async () => {
    const transport = fakeTransport({ [`${NAME} SRV`]: { rcode: 3, authorities: [soa('svc.test', 60, 2)] } });
    expect(await dnsSrv({ name: NAME, server: SERVER, transport }).list(context())).toEqual({ endpoints: [], refreshAfterMs: 2000 });
  });

  it('gives an empty set for an answer without SRV records', async () => {
    const transport = fakeTransport({ [`${NAME} SRV`]: { answers: [] } });
    expect((await dnsSrv({ name: NAME, server: SERVER, transport }).list(context())).endpoints).toEqual([]);
  });

  it('gives an empty set when the only target is "." (service decidedly not available)', async () => {
    const transport = fakeTransport({ [`${NAME} SRV`]: { answers: [srv(NAME, 0, 0, 0, '.', 7)] } });
    expect(await dnsSrv({ name: NAME, server: SERVER, transport }).list(context())).toEqual({ endpoints: [], refreshAfterMs: 7000 });
    expect(transport.log).toHaveLength(1);
  });

  it.each([
    [2, 'servfail', 'SERVFAIL'],
    [5, 'refused', 'REFUSED'],
    [4, 'rcode', 'NOTIMP'],
  ])('throws a DnsQueryError for rcode %i (%s)', async (rcode, failure, text) => {
    const transport = fakeTransport({ [`${NAME} SRV`]: { rcode } });
    const error = await dnsSrv({ name: NAME, server: SERVER, transport }).list(context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsQueryError);
    expect(error).toMatchObject({ failure, rcode: text, server: '127.0.0.1:5300', code: 'WF_ERR_SOURCE' });
  });

  it('fails the whole list, never a partial set, when a target lookup fails', async () => {
    const transport = fakeTransport({
      [`${NAME} SRV`]: { answers: [srv(NAME, 0, 1, 80, 'a.svc.test'), srv(NAME, 0, 1, 80, 'b.svc.test')], additionals: [a('a.svc.test', '10.0.0.1')] },
      'b.svc.test A': { rcode: 2 },
    });
    await expect(dnsSrv({ name: NAME, server: SERVER, transport }).list(context())).rejects.toMatchObject({ failure: 'servfail' });
  });

  it('times out a silent server after timeoutMs on the injected clock and clears the timer', async () => {
    const clock = createFakeClock();
    const transport = fakeTransport({ [`${NAME} SRV`]: 'silent' });
    const pending = dnsSrv({ name: NAME, server: SERVER, transport, timeoutMs: 500 }).list(context({ clock })).catch((e: unknown) => e);
    await clock.advance(499);
    await clock.advance(1);
    const error = await pending;
    expect(error).toBeInstanceOf(DnsQueryError);
    expect(error).toMatchObject({ failure: 'timeout' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with the abort reason when the signal aborts during a query', async () => {
    const controller = new AbortController();
    const clock = createFakeClock();
    const transport = fakeTransport({ [`${NAME} SRV`]: 'silent' });
    const pending = dnsSrv({ name: NAME, server: SERVER, transport }).list(context({ signal: controller.signal, clock }));
    for (let i = 0; i < 100 && transport.log.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(transport.log).toHaveLength(1);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped before'));
    const transport = fakeTransport({ [`${NAME} SRV`]: { answers: [] } });
    await expect(dnsSrv({ name: NAME, server: SERVER, transport }).list(context({ signal: controller.signal }))).rejects.toThrow('stopped before');
    expect(transport.log).toHaveLength(0);
  });

  it('takes query ids from the injected random', async () => {
    const transport = fakeTransport({ [`${NAME} SRV`]: { answers: [] } });
    await dnsSrv({ name: NAME, server: SERVER, transport }).list(context({ random: () => 0.5 }));
    expect(transport.log[0]!.id).toBe(0x8000);
    expect(dnsPacket.decode(transport.log[0]!.message).id).toBe(0x8000);
  });

  it('rejects an answer whose id does not match the query as malformed', async () => {
    const transport: DnsTransport = {
      exchange: async (ex) => response({ name: NAME, type: 'SRV', class: 'IN' }, (ex.id + 1) & 0xffff),
    };
    await expect(dnsSrv({ name: NAME, server: SERVER, transport }).list(context())).rejects.toMatchObject({ failure: 'malformed' });
  });

  it('asks the system resolvers from resolv.conf in order, moving on when one fails', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wayfinder-resolv-'));
    const resolvConfPath = path.join(dir, 'resolv.conf');
    writeFileSync(resolvConfPath, 'nameserver 127.0.0.2\nnameserver 127.0.0.3\n');
    const transport: DnsTransport = {
      exchange: async (ex) => {
        const q = dnsPacket.decode(ex.message).questions![0]!;
        if (ex.server.address === '127.0.0.2') return response(q, ex.id, { rcode: 2 });
        return response(q, ex.id, { answers: [srv(NAME, 0, 1, 80, 'a.svc.test')], additionals: [a('a.svc.test', '10.0.0.1')] });
      },
    };
    const servers: string[] = [];
    const recording: DnsTransport = { exchange: (ex) => (servers.push(`${ex.server.address}:${ex.server.port}`), transport.exchange(ex)) };
    const listed = await dnsSrv({ name: NAME, resolvConfPath, systemPort: 5301, transport: recording }).list(context());
    expect(ids(listed)).toEqual(['10.0.0.1:80']);
    expect(servers).toEqual(['127.0.0.2:5301', '127.0.0.3:5301']);
  });

  it('fails with a SourceError when resolv.conf lists no nameserver', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wayfinder-resolv-'));
    writeFileSync(path.join(dir, 'resolv.conf'), 'search svc.test\n');
    await expect(dnsSrv({ name: NAME, resolvConfPath: path.join(dir, 'resolv.conf'), transport: fakeTransport({}) }).list(context())).rejects.toThrow('lists no nameserver');
  });

  it.each([
    [{ minRefreshMs: -1 }, 'minRefreshMs'],
    [{ minRefreshMs: 5000, maxRefreshMs: 10 }, 'maxRefreshMs'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ systemPort: 70_000 }, 'systemPort'],
  ])('rejects bad options at construction (%j)', (options, option) => {
    expect(() => dnsSrv({ name: NAME, ...options })).toThrow(InvalidOptionError);
    expect(() => dnsSrv({ name: NAME, ...options })).toThrow(option);
  });
});

describe('dnsAddress', () => {
  it('makes one endpoint per A and AAAA address with the port and the name as hostname', async () => {
    const transport = fakeTransport({
      'planner.svc.test A': { answers: [a('planner.svc.test', '10.0.0.2', 5), a('planner.svc.test', '10.0.0.1', 5)] },
      'planner.svc.test AAAA': { answers: [aaaa('planner.svc.test', 'fd00::1', 3)] },
    });
    const listed = await dnsAddress({ name: 'planner.svc.test', port: 8080, server: SERVER, transport }).list(context());
    expect(listed.endpoints.map((e) => [e.id, e.hostname, e.weight, e.priority])).toEqual([
      ['10.0.0.1:8080', 'planner.svc.test', 1, 0],
      ['10.0.0.2:8080', 'planner.svc.test', 1, 0],
      ['[fd00::1]:8080', 'planner.svc.test', 1, 0],
    ]);
    expect(listed.refreshAfterMs).toBe(3000);
  });

  it('gives an empty set for NXDOMAIN and an error for SERVFAIL', async () => {
    const empty = fakeTransport({});
    expect((await dnsAddress({ name: 'gone.svc.test', port: 80, server: SERVER, transport: empty }).list(context())).endpoints).toEqual([]);
    const failing = fakeTransport({ 'x.svc.test A': { rcode: 2 }, 'x.svc.test AAAA': { answers: [] } });
    await expect(dnsAddress({ name: 'x.svc.test', port: 80, server: SERVER, transport: failing }).list(context())).rejects.toBeInstanceOf(DnsQueryError);
  });
});
