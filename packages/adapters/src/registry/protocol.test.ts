import { createFakeClock } from '@wayfinder/core/fake';
import { describe, expect, it } from 'vitest';
import { type RegistryRequest, routeRegistryRequest } from './protocol.js';
import { createRegistryStore } from './store.js';

const store = () => createRegistryStore({ epoch: 'e1', clock: createFakeClock() });
const req = (method: string, path: string, headers: Record<string, string> = {}, body?: string): RegistryRequest => ({
  method,
  path,
  header: (name) => headers[name.toLowerCase()],
  ...(body !== undefined ? { body } : {}),
});
const status = (route: ReturnType<typeof routeRegistryRequest>) => (route.kind === 'response' ? route.response.status : 'watch');
const json = { 'content-type': 'application/json' };

describe('routeRegistryRequest', () => {
  it('registers with 201, renews with 200 and deregisters with 204', () => {
    const s = store();
    const put = () => routeRegistryRequest(s, req('PUT', '/v1/services/svc/endpoints/a', json, JSON.stringify({ endpoint: { address: '10.0.0.1', port: 80 }, ttlSeconds: 5 })));
    expect(status(put())).toBe(201);
    expect(status(put())).toBe(200);
    expect(status(routeRegistryRequest(s, req('DELETE', '/v1/services/svc/endpoints/a')))).toBe(204);
    expect(status(routeRegistryRequest(s, req('DELETE', '/v1/services/svc/endpoints/a')))).toBe(204);
    expect(s.snapshot('svc').endpoints).toEqual([]);
  });

  it('answers bad requests with 400/405/413/415 and the error body shape', () => {
    const s = store();
    const cases: [RegistryRequest, number][] = [
      [req('PUT', '/v1/services/svc/endpoints/a', json, '{'), 400],
      [req('PUT', '/v1/services/svc/endpoints/a', json, JSON.stringify({ endpoint: { address: '10.0.0.1', port: 80 }, ttlSeconds: 0 })), 400],
      [req('PUT', '/v1/services/svc/endpoints/a', json, JSON.stringify({ endpoint: { id: 'b', address: '10.0.0.1', port: 80 }, ttlSeconds: 5 })), 400],
      [req('PUT', '/v1/services/bad%20name/endpoints/a', json, '{}'), 400],
      [req('POST', '/v1/services/svc'), 405],
      [req('PUT', '/v1/services/svc/endpoints/a', json, ' '.repeat(70_000)), 413],
      [req('PUT', '/v1/services/svc/endpoints/a', { 'content-type': 'text/plain' }, '{}'), 415],
      [req('GET', '/v2/other'), 404],
    ];
    for (const [request, expected] of cases) {
      const route = routeRegistryRequest(s, request);
      expect(status(route)).toBe(expected);
      if (route.kind === 'response') expect(JSON.parse(route.response.body!)).toHaveProperty('error.code');
    }
  });

  it('answers 304 to a matching If-None-Match and 200 with the new snapshot after a change', () => {
    const s = store();
    const first = routeRegistryRequest(s, req('GET', '/v1/services/svc'));
    const etag = first.kind === 'response' ? first.response.headers.etag! : '';
    expect(etag).toBe('"e1-0"');
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc', { 'if-none-match': etag })))).toBe(304);
    s.put('svc', 'a', { address: '10.0.0.1', port: 80 }, 5);
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc', { 'if-none-match': etag })))).toBe(200);
  });

  it('routes the watch path with its Last-Event-ID', () => {
    const route = routeRegistryRequest(store(), req('GET', '/v1/services/svc/watch', { 'last-event-id': 'e0-4' }));
    expect(route).toEqual({ kind: 'watch', service: 'svc', lastEventId: 'e0-4' });
  });

  it('requires the bearer token when configured', () => {
    const s = store();
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc'), { token: 't0ken' }))).toBe(401);
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc', { authorization: 'Bearer wrong' }), { token: 't0ken' }))).toBe(401);
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc', { authorization: 'Bearer t0ken' }), { token: 't0ken' }))).toBe(200);
  });

  it('asks clients holding an earlier epoch to keep their set during the restart grace (503 recovering)', () => {
    const s = store();
    let remaining = 3000;
    const options = { restartGraceRemainingMs: () => remaining };
    const old = { 'if-none-match': '"e0-17"' };
    const route = routeRegistryRequest(s, req('GET', '/v1/services/svc', old), options);
    expect(route.kind === 'response' && route.response.status).toBe(503);
    expect(route.kind === 'response' && route.response.headers['retry-after']).toBe('3');
    expect(route.kind === 'response' && JSON.parse(route.response.body!).error.code).toBe('recovering');
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc/watch', { 'last-event-id': 'e0-17' }), options))).toBe(503);
    // A fresh client, or one of the current epoch, is answered at once.
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc'), options))).toBe(200);
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc', { 'if-none-match': '"e1-0"' }), options))).toBe(304);
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc/watch', { 'last-event-id': 'e1-0' }), options))).toBe('watch');
    remaining = 0;
    expect(status(routeRegistryRequest(s, req('GET', '/v1/services/svc', old), options))).toBe(200);
  });
});
