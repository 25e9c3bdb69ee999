import { describe, expect, it } from 'vitest';
import { RegistryResponseError } from './errors.js';
import { errorBodyMessage, parseServiceSnapshot } from './parse.js';

const LIMIT = 4096;
const body = (endpoints: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ service: 'checkout', revision: 'e1-3', endpoints, ...extra });

describe('parseServiceSnapshot', () => {
  it('normalizes endpoints with their defaults and keeps the revision', () => {
    const parsed = parseServiceSnapshot(body([{ address: '10.0.0.1', port: 80, terminating: true }]), 'checkout', 't', LIMIT);
    expect(parsed.revision).toBe('e1-3');
    expect(parsed.endpoints[0]).toMatchObject({ id: '10.0.0.1:80', weight: 1, ready: false, serving: true, terminating: true });
  });

  it('fails the whole snapshot when one endpoint among good ones is invalid', () => {
    const text = body([{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 70000 }]);
    expect(() => parseServiceSnapshot(text, 'checkout', 't', LIMIT)).toThrow(RegistryResponseError);
    expect(() => parseServiceSnapshot(text, 'checkout', 't', LIMIT)).toThrow(/endpoints/);
  });

  it('rejects malformed JSON, duplicate ids, another service and oversize text with a typed error', () => {
    const cases = [
      '{"service":"checkout",',
      body([{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.1', port: 80 }]),
      JSON.stringify({ service: 'other', revision: 'e1-1', endpoints: [] }),
      body([{ address: '10.0.0.1', port: 80, metadata: { pad: 'x'.repeat(LIMIT) } }]),
    ];
    for (const text of cases) {
      const attempt = () => parseServiceSnapshot(text, 'checkout', 'registry+http://r/checkout', LIMIT);
      expect(attempt).toThrow(RegistryResponseError);
      try {
        attempt();
      } catch (error) {
        expect((error as RegistryResponseError).code).toBe('WF_ERR_REGISTRY_RESPONSE');
      }
    }
  });

  it('ignores unknown fields (forward compatibility)', () => {
    expect(parseServiceSnapshot(body([], { future: 1 }), 'checkout', 't', LIMIT).endpoints).toEqual([]);
  });
});

describe('errorBodyMessage', () => {
  it('reads a protocol error body and ignores anything else', () => {
    expect(errorBodyMessage('{"error":{"code":"bad_request","message":"nope"}}')).toBe('bad_request: nope');
    expect(errorBodyMessage('<html>')).toBeUndefined();
  });
});
