import { afterEach, describe, expect, it } from 'vitest';
import { sticky } from '@wayfinder/balancer';
import { createClient, createEndpoint, createEndpointSet, type WayfinderClient } from '@wayfinder/core';
import { type Backend, startBackend, staticTarget } from './backends.js';

const backends: Backend[] = [];
const clients: WayfinderClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

describe('affinity keys through the client', () => {
  it('sends concurrent first calls of each key to the endpoint the consistent hash names, even before any connection is open', async () => {
    // Two clients that never talked must agree on every key, also when all calls start at once
    // (the transport's probing of endpoints without a connection must not divert keyed calls).
    const started = await Promise.all([startBackend(), startBackend(), startBackend()]);
    backends.push(...started);
    const ports = started.map((b) => b.port);
    const set = createEndpointSet(ports.map((port) => createEndpoint({ address: '127.0.0.1', port })));
    const reference = sticky().create().build(set);
    const keys = Array.from({ length: 24 }, (_, i) => `conversation-${i}`);
    const expected = keys.map((key) => {
      const r = reference.pick({ affinityKey: key });
      if (r.type !== 'endpoint') throw new Error('no pick');
      return r.endpoint.port;
    });
    for (let round = 0; round < 2; round++) {
      for (const b of started) b.seen.length = 0;
      const client = createClient({ services: { planner: staticTarget(...ports) }, balancer: sticky(), transport: 'undici' });
      clients.push(client);
      await Promise.all(keys.map(async (key) => (await client.fetch(`http://planner/whoami/${key}`, { affinityKey: key })).text()));
      const answered = keys.map((key) => started.find((b) => b.seen.some((r) => r.url === `/whoami/${key}`))?.port);
      expect(answered).toEqual(expected);
    }
  });
});
