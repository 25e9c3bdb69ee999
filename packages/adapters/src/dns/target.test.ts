import { describe, expect, it } from 'vitest';
import { InvalidTargetError, parseTarget } from '@wayfinder/core';
import { parseDnsAddressTarget, parseDnsSrvTarget } from './target.js';

const srv = (t: string) => parseDnsSrvTarget(parseTarget(t));
const addr = (t: string) => parseDnsAddressTarget(parseTarget(t));

describe('parseDnsSrvTarget', () => {
  it('reads a server with a port and an SRV name', () => {
    expect(srv('dns-srv://127.0.0.1:5300/_http._tcp.planner.svc.test')).toEqual({ server: { address: '127.0.0.1', port: 5300 }, name: '_http._tcp.planner.svc.test' });
  });

  it('defaults the server port to 53 and accepts IPv6 servers in brackets', () => {
    expect(srv('dns-srv://10.96.0.10/_grpc._tcp.a.b').server).toEqual({ address: '10.96.0.10', port: 53 });
    expect(srv('dns-srv://[fd00::a]:5353/_grpc._tcp.a.b').server).toEqual({ address: 'fd00::a', port: 5353 });
  });

  it('uses the system resolvers when the authority is empty, and drops a trailing dot', () => {
    expect(srv('dns-srv:///_http._tcp.planner.svc.test.')).toEqual({ server: undefined, name: '_http._tcp.planner.svc.test' });
  });

  it('reads refresh bounds and the query timeout from the query string', () => {
    expect(srv('dns-srv:///_a._tcp.x.y?minRefreshMs=500&maxRefreshMs=4000&timeoutMs=250')).toMatchObject({ minRefreshMs: 500, maxRefreshMs: 4000, timeoutMs: 250 });
  });

  it.each([
    ['dns-srv://127.0.0.1', 'missing _service._proto.name'],
    ['dns-srv://_http._tcp.planner.svc.test', 'the name goes in the path'],
    ['dns-srv:///planner.svc.test', 'is not an SRV name'],
    ['dns-srv://dns.example:53/_a._tcp.x', 'must be an IP address'],
    ['dns-srv:///_a._tcp.bad..name', 'bad label'],
    ['dns-srv:///_a._tcp.x?ttl=5', 'unknown query parameter "ttl"'],
    ['dns-srv:///_a._tcp.x?minRefreshMs=abc', 'whole number'],
    ['dns-srv:///_a._tcp.x?minRefreshMs=5000&maxRefreshMs=10', 'is above maxRefreshMs'],
    ['dns-srv://127.0.0.1:0/_a._tcp.x', 'invalid port'],
  ])('rejects %s naming the problem', (target, problem) => {
    expect(() => srv(target)).toThrow(InvalidTargetError);
    expect(() => srv(target)).toThrow(problem);
  });
});

describe('parseDnsAddressTarget', () => {
  it('reads host and port, with or without a server', () => {
    expect(addr('dns://127.0.0.1:5300/planner.default.svc.cluster.local:8080')).toEqual({
      server: { address: '127.0.0.1', port: 5300 },
      name: 'planner.default.svc.cluster.local',
      port: 8080,
    });
    expect(addr('dns:///planner.svc.test:80').server).toBeUndefined();
  });

  it.each([
    ['dns:///planner.svc.test', 'missing port'],
    ['dns://127.0.0.1', 'missing host:port'],
    ['dns:///10.0.0.1:80', 'use static://'],
  ])('rejects %s naming the problem', (target, problem) => {
    expect(() => addr(target)).toThrow(problem);
  });
});
