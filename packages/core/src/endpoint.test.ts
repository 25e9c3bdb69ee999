import { describe, expect, it } from 'vitest';
import { endpointToJSON, parseEndpoint } from './endpoint.js';
import { InvalidEndpointError } from './errors.js';

describe('parseEndpoint', () => {
  it('applies the defaults of the model', () => {
    const e = parseEndpoint({ address: '10.0.0.1', port: 8080 });
    expect(e).toEqual({
      id: '10.0.0.1:8080',
      address: '10.0.0.1',
      port: 8080,
      ports: null,
      hostname: null,
      weight: 1,
      priority: 0,
      zone: null,
      node: null,
      ready: true,
      serving: true,
      terminating: false,
      hints: null,
      metadata: {},
    });
    expect(Object.isFrozen(e)).toBe(true);
  });

  it('brackets IPv6 addresses in the default id', () => {
    expect(parseEndpoint({ address: '::1', port: 80 }).id).toBe('[::1]:80');
  });

  it('treats a terminating endpoint without an explicit ready as not ready but serving', () => {
    const e = parseEndpoint({ address: '10.0.0.1', port: 80, terminating: true });
    expect([e.ready, e.serving, e.terminating]).toEqual([false, true, true]);
    expect(parseEndpoint({ address: '10.0.0.1', port: 80, terminating: true, ready: true }).ready).toBe(true);
  });

  it.each([
    [{ address: '10.0.0.1', port: 0 }, 'endpoint.port'],
    [{ address: '10.0.0.1', port: 70000 }, 'endpoint.port'],
    [{ address: '10.0.0.1', port: '80' }, 'endpoint.port'],
    [{ address: '', port: 80 }, 'endpoint.address'],
    [{ address: '10.0.0 .1', port: 80 }, 'endpoint.address'],
    [{ port: 80 }, 'endpoint.address'],
    [{ address: '10.0.0.1', port: 80, weight: -1 }, 'endpoint.weight'],
    [{ address: '10.0.0.1', port: 80, ready: 'yes' }, 'endpoint.ready'],
  ])('rejects %j naming %s', (input, path) => {
    try {
      parseEndpoint(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEndpointError);
      expect((error as InvalidEndpointError).code).toBe('WF_ERR_INVALID_ENDPOINT');
      expect((error as InvalidEndpointError).path).toBe(path);
      expect((error as Error).message).toContain(path);
    }
  });

  it('serializes to the stable CLI shape', () => {
    expect(Object.keys(endpointToJSON(parseEndpoint({ address: 'a', port: 1 })))).toEqual([
      'id',
      'address',
      'port',
      'hostname',
      'weight',
      'priority',
      'zone',
      'node',
      'ready',
      'serving',
      'terminating',
    ]);
  });
});
