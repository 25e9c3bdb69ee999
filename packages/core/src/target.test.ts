import { describe, expect, it } from 'vitest';
import { createSource } from './create-source.js';
import { InvalidTargetError } from './errors.js';
import { parseTarget } from './target.js';
import { createFakeClock } from './fake/index.js';

describe('parseTarget', () => {
  it.each([
    ['static://127.0.0.1:8080,127.0.0.1:8081', 'static', '127.0.0.1:8080,127.0.0.1:8081', ''],
    ['file:///abs/endpoints.json', 'file', '', '/abs/endpoints.json'],
    ['file:./x.json', 'file', '', './x.json'],
    ['dns-srv:///_http._tcp.planner.svc', 'dns-srv', '', '/_http._tcp.planner.svc'],
    ['k8s://agents/planner:http', 'k8s', 'agents', '/planner:http'],
    ['etcd://h1:2379,h2:2379//services/x/', 'etcd', 'h1:2379,h2:2379', '//services/x/'],
    ['registry+http://127.0.0.1:7070/planner?token=x', 'registry+http', '127.0.0.1:7070', '/planner'],
  ])('splits %s', (raw, scheme, authority, path) => {
    expect(parseTarget(raw)).toMatchObject({ raw, scheme, authority, path });
  });

  it('keeps the query', () => {
    expect(parseTarget('registry+http://h:1/s?token=abc').query.get('token')).toBe('abc');
  });

  it.each(['', 'no-scheme', '1abc://x', 'static://a:1, b:2'])('rejects %j with a message naming it', (raw) => {
    expect(() => parseTarget(raw)).toThrow(InvalidTargetError);
  });
});

describe('createSource', () => {
  const ctx = { clock: createFakeClock() };

  it('names the unknown scheme and the known ones', () => {
    try {
      createSource('nope://x', ctx);
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidTargetError).code).toBe('WF_ERR_UNSUPPORTED_SCHEME');
      expect((error as Error).message).toBe('invalid target "nope://x": unsupported scheme "nope" (known: file, static)');
    }
  });

  it.each([
    ['static://', 'lists no endpoints'],
    ['static://127.0.0.1', 'missing port in "127.0.0.1"'],
    ['static://127.0.0.1:99999', 'invalid port "99999"'],
    ['static://::1:80', 'must be written in brackets'],
    ['static://10.0.0.1:80,10.0.0.1:80', 'lists 10.0.0.1:80 twice'],
    ['static://10.0.0.1:80/path', 'unexpected path'],
    ['file://host/x.json', 'file targets take no host'],
    ['file:', 'missing file path'],
  ])('rejects %s: %s', (raw, problem) => {
    expect(() => createSource(raw, ctx)).toThrow(problem);
  });

  it('parses static lists with IPv6 and host names', async () => {
    const source = createSource('static://[::1]:80,localhost:8080,10.0.0.1:1', ctx);
    const listed = await source.list({ signal: new AbortController().signal, clock: ctx.clock, random: Math.random });
    expect(listed.endpoints.map((e) => e.id)).toEqual(['[::1]:80', 'localhost:8080', '10.0.0.1:1']);
    expect(listed.refreshAfterMs).toBe(Number.POSITIVE_INFINITY);
  });
});
