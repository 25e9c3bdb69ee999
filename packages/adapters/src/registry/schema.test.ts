import { describe, expect, it } from 'vitest';
import { etagMatches, parseRevision, registrationRequestSchema, registryPaths, revisionETag, serviceNameSchema, serviceSnapshotSchema } from './schema.js';

describe('registry protocol schemas', () => {
  it('accepts a v1 snapshot and rejects one without a revision', () => {
    expect(serviceSnapshotSchema.safeParse({ service: 'checkout', revision: 'abc-1', endpoints: [{ address: '10.0.0.1', port: 80 }] }).success).toBe(true);
    expect(serviceSnapshotSchema.safeParse({ service: 'checkout', endpoints: [] }).success).toBe(false);
  });

  it('rejects revisions that are not <epoch>-<counter>', () => {
    for (const bad of ['17', 'abc-', '-1', 'a b-1', 'abc-1x']) expect(serviceSnapshotSchema.safeParse({ service: 's', revision: bad, endpoints: [] }).success).toBe(false);
  });

  it('splits a revision into epoch and counter at the last dash', () => {
    expect(parseRevision('k3j9x2ab0q1z-17')).toEqual({ epoch: 'k3j9x2ab0q1z', counter: 17 });
    expect(parseRevision('nope')).toBeUndefined();
  });

  it('limits service names to the documented alphabet', () => {
    expect(serviceNameSchema.safeParse('planner.v2_a-b').success).toBe(true);
    for (const bad of ['', '-x', 'a/b', 'a b', 'x'.repeat(254)]) expect(serviceNameSchema.safeParse(bad).success).toBe(false);
  });

  it('requires an integer ttlSeconds between 1 and 3600 in a registration', () => {
    const endpoint = { address: '10.0.0.1', port: 80 };
    expect(registrationRequestSchema.safeParse({ endpoint, ttlSeconds: 10 }).success).toBe(true);
    for (const ttlSeconds of [0, 3601, 1.5, '10']) expect(registrationRequestSchema.safeParse({ endpoint, ttlSeconds }).success).toBe(false);
  });

  it('matches If-None-Match against the quoted revision, lists, weak tags and *', () => {
    expect(revisionETag('a-1')).toBe('"a-1"');
    expect(etagMatches('"a-1"', 'a-1')).toBe(true);
    expect(etagMatches('"a-0", W/"a-1"', 'a-1')).toBe(true);
    expect(etagMatches('*', 'a-1')).toBe(true);
    expect(etagMatches('"a-2"', 'a-1')).toBe(false);
    expect(etagMatches(null, 'a-1')).toBe(false);
  });

  it('percent-encodes endpoint ids in paths', () => {
    expect(registryPaths.endpoint('svc', '[::1]:80')).toBe('/v1/services/svc/endpoints/%5B%3A%3A1%5D%3A80');
  });
});
