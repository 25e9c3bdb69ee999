import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerEtcd } from '@wayfinder/adapters';
import { createFakeClock } from '@wayfinder/core/fake';
import { afterEach, describe, expect, it } from 'vitest';
import { createEtcdGateway, EtcdStatusError } from '../../packages/adapters/src/etcd/gateway.js';
import { waitFor } from '../harness/processes.js';

/** A scripted stand-in for the gateway, to drive cases a real etcd will not produce on demand. */
type Handler = (path: string, body: Record<string, unknown>, res: http.ServerResponse) => void;
const servers: http.Server[] = [];
async function fakeGateway(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c));
    req.on('end', () => handler(req.url ?? '', text ? (JSON.parse(text) as Record<string, unknown>) : {}, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
const json = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('etcd gateway client (scripted server)', () => {
  it('reassembles watch lines split across chunks and yields one object per line', async () => {
    const url = await fakeGateway((_path, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":{"header":{"revision":"2"},"cre');
      setTimeout(() => res.write('ated":true}}\n{"result":{"header":{"revision":"3"}}}\n{"result":'), 20);
      setTimeout(() => res.end('{"header":{"revision":"4"}}}\n'), 40);
    });
    const gateway = createEtcdGateway({ members: [url], label: 'etcd://t/p/' });
    const lines: unknown[] = [];
    for await (const line of gateway.stream('/v3/watch', {}, new AbortController().signal)) lines.push(line);
    expect(lines).toEqual([{ result: { header: { revision: '2' }, created: true } }, { result: { header: { revision: '3' } } }, { result: { header: { revision: '4' } } }]);
    await gateway.close();
  });

  it('moves to the next member on a 503 and sticks with the one that answered', async () => {
    const hits: string[] = [];
    const down = await fakeGateway((_p, _b, res) => (hits.push('down'), json(res, 503, { error: 'etcdserver: no leader', code: 14 })));
    const up = await fakeGateway((_p, _b, res) => (hits.push('up'), json(res, 200, { header: { revision: '1' } })));
    const gateway = createEtcdGateway({ members: [down, up], label: 'etcd://t/p/' });
    expect(await gateway.call('/v3/kv/range', {})).toEqual({ header: { revision: '1' } });
    expect(await gateway.call('/v3/kv/range', {})).toEqual({ header: { revision: '1' } });
    expect(hits).toEqual(['down', 'up', 'up']);
    expect(gateway.currentMember).toBe(up);
    await gateway.close();
  });

  it('does not fail over on a 4xx and reports the gRPC code and message', async () => {
    const url = await fakeGateway((_p, _b, res) => json(res, 404, { error: 'etcdserver: requested lease not found', message: 'etcdserver: requested lease not found', code: 5 }));
    const gateway = createEtcdGateway({ members: [url], label: 'etcd://t/p/' });
    const error = await gateway.call('/v3/lease/revoke', { ID: '1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdStatusError);
    expect((error as EtcdStatusError).grpcCode).toBe(5);
    expect((error as Error).message).toContain('requested lease not found');
    await gateway.close();
  });
});

describe('registerEtcd timers (fake clock, scripted server)', () => {
  it('renews every third of the TTL on the injected clock, registers again when keep-alive answers TTL 0, and leaves no timer after close', async () => {
    let leases = 0;
    let alive = true;
    const calls: string[] = [];
    const url = await fakeGateway((path, body, res) => {
      calls.push(path);
      if (path === '/v3/lease/grant') return json(res, 200, { header: { revision: '1' }, ID: String(9007199254740993n + BigInt(++leases)), TTL: '9' });
      if (path === '/v3/lease/keepalive') return json(res, 200, { result: { header: {}, ID: body.ID, ...(alive ? { TTL: '9' } : {}) } });
      return json(res, 200, { header: { revision: '2' } });
    });
    const clock = createFakeClock();
    const registration = registerEtcd({ etcd: url, prefix: 'svc/', endpoint: { address: '127.0.0.1', port: 80 }, ttlSeconds: 9, drainMs: 1000, clock });
    await registration.ready();
    expect(calls).toEqual(['/v3/lease/grant', '/v3/kv/put']);
    expect(clock.pendingDelays()).toEqual([3000]);
    await clock.advance(3000);
    await waitFor(() => calls.length === 3);
    expect(calls[2]).toBe('/v3/lease/keepalive');
    // The next renewal is scheduled once the answer has been read.
    await waitFor(() => clock.pendingDelays().join() === '3000');
    alive = false;
    await clock.advance(3000);
    await waitFor(() => calls.length === 6);
    expect(calls.slice(3)).toEqual(['/v3/lease/keepalive', '/v3/lease/grant', '/v3/kv/put']);
    expect(leases).toBe(2);
    await waitFor(() => clock.pendingDelays().join() === '3000');
    expect(registration.state).toBe('registered');
    alive = true;
    const closing = registration.close();
    await waitFor(() => calls.at(-1) === '/v3/kv/put' && calls.length === 7);
    await waitFor(() => clock.pendingDelays().includes(1000));
    await clock.advance(1000);
    await closing;
    expect(calls.at(-1)).toBe('/v3/lease/revoke');
    expect(registration.state).toBe('closed');
    expect(clock.pendingTimers).toBe(0);
  });
});
